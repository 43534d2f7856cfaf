"""The development console sender."""

import io

from authkit.mail import ConsoleSender, Mail


def test_prints_headers_and_text():
    out = io.StringIO()
    ConsoleSender(out).send(Mail(to="a@example.com", subject="Hi", text="open https://x/y\n",
                                 html="<p>ignored</p>", kind="verify-email"))
    text = out.getvalue()
    assert "To: a@example.com\nSubject: Hi\n\nopen https://x/y\n" in text
    assert "verify-email" in text and "<p>" not in text
