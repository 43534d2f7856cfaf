"""AuthKit's top-level keywords: a mistake is one ConfigError line with the fix."""

import logging

import pytest

from authkit import AuthKit, ConfigError
from authkit.config_checks import entropy_bits, snake_case, suggestion

from .support.fixtures import SECRET


def make(**kw):
    kw.setdefault("secret", SECRET)
    kw.setdefault("database", "sqlite://")
    return AuthKit(**kw)


@pytest.mark.parametrize(("given", "meant"), [
    ("emailAndPassword", "email_and_password"),
    ("trustedOrigins", "trusted_origins"),
    ("baseURL", "base_url"),
    ("secondaryStorage", "secondary_storage"),
    ("databse", "database"),
    ("email_and_pasword", "email_and_password"),
])
def test_unknown_keyword_suggests_the_snake_case_name(given, meant):
    with pytest.raises(ConfigError) as info:
        make(**{given: {}})
    message = str(info.value)
    assert f"unknown keyword(s) {given!r} (did you mean {meant!r}?)" in message
    assert "\n" not in message


def test_unknown_keyword_without_a_close_match_lists_the_valid_ones():
    with pytest.raises(ConfigError, match="'socialProviders'; valid keywords are advanced"):
        make(socialProviders={})


def test_positional_arguments_are_refused():
    with pytest.raises(ConfigError, match="keyword arguments only"):
        AuthKit(SECRET)  # type: ignore[misc]


def test_snake_case_and_suggestion():
    assert snake_case("onAPIError") == "on_api_error"
    assert suggestion("plugin", ["plugins", "hooks"]) == "plugins"
    assert suggestion("zzz", ["plugins"]) is None


def test_trusted_origins_as_a_string_is_refused_with_the_fix():
    with pytest.raises(ConfigError, match=r"not a string: write trusted_origins=\['https://a'\]"):
        make(trusted_origins="https://a")
    with pytest.raises(ConfigError, match="every entry must be a string"):
        make(trusted_origins=[None])
    assert make(trusted_origins=["https://a.example"]).origins is not None


def test_base_url_path_is_honoured_as_the_base_path():
    auth = make(base_url="https://app.example.com/auth/")
    assert (auth.base_url, auth.base_path) == ("https://app.example.com", "/auth")
    assert auth.base_url_for(None) == "https://app.example.com/auth"
    same = make(base_url="https://app.example.com/api/auth", base_path="/api/auth")
    assert same.base_path == "/api/auth"
    plain = make(base_url="https://app.example.com")
    assert plain.base_path == "/api/auth"


def test_base_url_path_that_contradicts_base_path_is_refused():
    with pytest.raises(ConfigError, match="ends in the path '/auth' but base_path is '/api/x'"):
        make(base_url="https://app.example.com/auth", base_path="/api/x")
    with pytest.raises(ConfigError, match="query or fragment"):
        make(base_url="https://app.example.com/?x=1")


def test_base_url_path_is_served(tmp_path):
    auth = make(base_url="http://localhost/auth", database=f"sqlite:///{tmp_path}/b.db")
    auth.migrate()
    from authkit.http import Headers, Request

    ok = auth.handle(Request(method="GET", path="/auth/ok", headers=Headers()))
    assert ok.status == 200
    assert auth.handle(Request(method="GET", path="/api/auth/ok", headers=Headers())).status == 404


@pytest.mark.parametrize(("options", "words"), [
    ({"min_password_length": 20, "max_password_length": 10}, "larger than max_password_length"),
    ({"min_password_length": -1}, "min_password_length must be a non-negative"),
    ({"max_password_length": 0}, "max_password_length must be a positive"),
    ({"max_password_length": "64"}, "max_password_length must be a positive"),
])
def test_password_length_bounds_are_checked(options, words):
    with pytest.raises(ConfigError, match=words):
        make(email_and_password={"enabled": True, **options})


def test_weak_secret_warns_once_outside_production(caplog):
    caplog.set_level(logging.WARNING, logger="authkit")
    make(secret="short-secret-1")
    make(secret="short-secret-1")
    make(secret="a" * 16 + "b" * 30)
    weak = [r for r in caplog.records if getattr(r, "event", "") == "config.weak_secret"]
    assert [("shorter than 32" in r.getMessage(), "low in entropy" in r.getMessage())
            for r in weak] == [(True, False), (False, True)]
    assert all("short-secret-1" not in r.getMessage() for r in weak)
    caplog.clear()
    make(secret=SECRET)
    assert not [r for r in caplog.records if getattr(r, "event", "") == "config.weak_secret"]
    assert entropy_bits(SECRET) > 120 > entropy_bits("ab" * 30)
