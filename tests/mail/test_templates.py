"""Default templates and replacing them."""

from types import SimpleNamespace

import pytest

from authkit.errors import ConfigError
from authkit.mail import DEFAULT_TEMPLATES, KINDS, Mail, Template, Templates

USER = SimpleNamespace(id="u1", name="Alice <b>&", email="alice@example.com")
URL = "https://auth.example.com/api/auth/verify-email?token=T&callbackURL=%2F"


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_text_and_html(kind):
    mail = Templates(app_name="Acme").render(kind, to="alice@example.com", user=USER, url=URL,
                                             new_email="new@example.com")
    assert mail.to == "alice@example.com" and mail.kind == kind and mail.user_id == "u1"
    assert "Acme" in mail.subject and "\n" not in mail.subject
    assert URL in mail.text and "Alice <b>&" in mail.text  # plain text is not escaped
    assert 'href="https://auth.example.com/api/auth/verify-email?token=T&amp;callbackURL=%2F"' \
        in mail.html
    assert "Alice &lt;b&gt;&amp;" in mail.html and "<b>" not in mail.html
    assert "$" not in mail.text + mail.html + mail.subject


def test_change_email_mentions_the_new_address():
    mail = Templates().render("change-email-confirmation", to="alice@example.com", user=USER,
                              url=URL, new_email="new@example.com")
    assert "new@example.com" in mail.text


def test_override_with_a_template():
    templates = Templates({"reset-password": Template(
        subject="[$app_name] reset", text="Go to $url, $name", html=None)}, app_name="Acme")
    mail = templates.render("reset-password", to="a@example.com", user=USER, url=URL)
    assert mail.subject == "[Acme] reset" and mail.text == f"Go to {URL}, Alice <b>&"
    assert mail.html is None
    # Other kinds keep their defaults.
    assert templates.render("verify-email", to="a@example.com", user=USER, url=URL).html


def test_override_with_a_function():
    def render(*, to, app_name, name, email, url, new_email):
        return Mail(to=to, subject=f"{app_name}!", text=url, kind="verify-email")

    mail = Templates({"verify-email": render}).render("verify-email", to="a@example.com",
                                                      user=USER, url=URL)
    assert (mail.subject, mail.text) == ("authkit!", URL)


def test_mistakes_fail_at_construction():
    with pytest.raises(ConfigError, match=r"\$token"):
        Template(subject="x", text="your token: $token")
    with pytest.raises(ConfigError, match="unknown email kind"):
        Templates({"welcome": DEFAULT_TEMPLATES["verify-email"]})
    with pytest.raises(ConfigError):
        Templates({"verify-email": "not a template"})  # type: ignore[dict-item]


def test_mail_repr_hides_the_body():
    mail = Mail(to="a@example.com", subject="S", text=f"link {URL}")
    assert "token" not in repr(mail)
