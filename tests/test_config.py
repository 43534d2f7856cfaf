"""Configuration is validated at construction with the fix in the message."""


import pytest

from authkit import AuthKit, ConfigError
from authkit.settings import from_env

from .support.fixtures import SECRET


def test_unknown_key_suggests_snake_case(tmp_path):
    with pytest.raises(ConfigError, match="did you mean 'expires_in'"):
        AuthKit(secret=SECRET, database=f"sqlite:///{tmp_path}/a.db", session={"expiresIn": 5})


@pytest.mark.parametrize("kw,match", [
    ({"session": {"expires_in": 0}}, "session.expires_in"),
    ({"session": {"expires_in": 401 * 86400}}, "400 days"),
    ({"email_and_password": {"min_password_length": 10, "max_password_length": 5}},
     "min_password_length"),
    ({"base_path": "api/auth"}, "base_path"),
    ({"base_url": "ftp://x"}, "base_url"),
    ({"advanced": {"trusted_proxies": ["nope"]}}, "trusted_proxies"),
    ({"session": {"cookie_cache": {"strategy": "plain"}}}, "strategy"),
    ({"email_and_password": {"password_hasher": "md5"}}, "md5"),
])
def test_invalid_config_fails_with_fix(tmp_path, kw, match):
    with pytest.raises(ConfigError, match=match):
        AuthKit(secret=SECRET, database=f"sqlite:///{tmp_path}/a.db", **kw)


def test_production_requires_secret_and_base_url(tmp_path, monkeypatch):
    monkeypatch.delenv("AUTHKIT_SECRET", raising=False)
    monkeypatch.delenv("BETTER_AUTH_SECRET", raising=False)
    monkeypatch.delenv("AUTHKIT_BASE_URL", raising=False)
    db = f"sqlite:///{tmp_path}/a.db"
    with pytest.raises(ConfigError, match="secret"):
        AuthKit(database=db, production=True, base_url="https://a.example.com")
    with pytest.raises(ConfigError, match="base_url is required"):  # docs/security.md#origins-and-csrf
        AuthKit(secret=SECRET, database=db, production=True)
    with pytest.raises(ConfigError, match="shorter than 32"):
        AuthKit(secret="short", database=db, production=True, base_url="https://a.example.com")


def test_development_default_secret_warns(tmp_path, monkeypatch):
    monkeypatch.delenv("AUTHKIT_SECRET", raising=False)
    monkeypatch.delenv("BETTER_AUTH_SECRET", raising=False)
    with pytest.warns(RuntimeWarning, match="development secret"):
        AuthKit(database=f"sqlite:///{tmp_path}/a.db")


def test_secret_never_in_repr(auth):
    assert "test-secret" not in repr(auth) and "test-secret" not in repr(auth.secrets)


def test_env_settings(tmp_path):
    env = {"AUTHKIT_SECRET": SECRET, "AUTHKIT_DATABASE_URL": f"sqlite:///{tmp_path}/e.db",
           "AUTHKIT_TRUSTED_ORIGINS": "https://a.example.com, https://b.example.com",
           "AUTHKIT_REQUIRE_EMAIL_VERIFICATION": "on", "AUTHKIT_TRUSTED_PROXIES": "10.0.0.0/8"}
    kw = from_env(env)
    assert kw["trusted_origins"] == ["https://a.example.com", "https://b.example.com"]
    assert kw["email_and_password"]["require_email_verification"] is True
    auth = AuthKit(**kw)
    assert auth.options.advanced.trusted_proxies == ["10.0.0.0/8"]


@pytest.mark.parametrize("env,match", [
    ({"AUTHKIT_SECRET": SECRET, "AUTHKIT_RATE_LIMT": "on"}, "unknown environment variable"),
    ({"AUTHKIT_SECRET": SECRET, "AUTHKIT_RATE_LIMIT": "maybe"}, "use 'on' or 'off'"),
    ({"AUTHKIT_SECRET": SECRET, "AUTHKIT_TRUSTED_PROXIES": "10.0.0.300"},
     "AUTHKIT_TRUSTED_PROXIES"),
    ({"AUTHKIT_ENV": "production"}, "AUTHKIT_SECRET is required"),
])
def test_env_errors(env, match):
    with pytest.raises(ConfigError, match=match):
        from_env(env)


def test_dev_secret_is_generated_once_and_kept(tmp_path, capsys):
    env = {"AUTHKIT_SECRET_FILE": str(tmp_path / "secret")}
    first = from_env(env)["secret"]
    second = from_env(env)["secret"]
    assert first == second and len(first[0]) >= 32
    assert (tmp_path / "secret").stat().st_mode & 0o077 == 0
    assert "WARNING" in capsys.readouterr().err


def test_the_constructor_reads_no_environment(tmp_path, monkeypatch):
    # AuthKit(...) is configured by its arguments alone; the environment is from_env's job.
    monkeypatch.setenv("AUTHKIT_ENV", "production")
    monkeypatch.setenv("ENV", "production")
    monkeypatch.setenv("AUTHKIT_SECRET", "env-secret-" + "x" * 40)
    monkeypatch.setenv("AUTHKIT_BASE_URL", "https://env.example.com")
    monkeypatch.setenv("AUTHKIT_TRUSTED_ORIGINS", "https://trusted.example.com")
    with pytest.warns(RuntimeWarning, match="development secret"):
        auth = AuthKit(database=f"sqlite:///{tmp_path}/a.db")
    assert auth.production is False and auth.base_url is None
    assert "env-secret" not in auth.secrets.current.reveal()
    assert not auth.origins.is_trusted_origin("https://trusted.example.com")


@pytest.mark.parametrize("switch", ["AUTHKIT_ENV", "ENV"])
def test_from_env_is_the_one_configuration_path(tmp_path, switch):
    env = {switch: "production", "BETTER_AUTH_SECRET": SECRET,
           "BETTER_AUTH_URL": "https://auth.example.com",
           "AUTHKIT_DATABASE_URL": f"sqlite:///{tmp_path}/e.db",
           "AUTHKIT_TRUSTED_ORIGINS": "https://trusted.example.com",
           "AUTHKIT_COOKIE_CACHE": "compact"}
    auth = AuthKit.from_env(env, session={"expires_in": 3600}, app_name="overridden")
    assert auth.production is True and auth.base_url == "https://auth.example.com"
    assert auth.secrets.current.reveal() == SECRET
    assert auth.origins.is_trusted_origin("https://trusted.example.com")
    # A dict override merges into the environment's option group instead of replacing it.
    assert auth.options.session.expires_in == 3600
    assert auth.options.session.cookie_cache.enabled is True
    assert auth.app_name == "overridden"
    with pytest.raises(ConfigError, match="AUTHKIT_SECRET is required"):
        AuthKit.from_env({switch: "production"})
