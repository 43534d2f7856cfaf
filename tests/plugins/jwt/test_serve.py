"""AUTHKIT_PLUGINS=jwt: every AUTHKIT_JWT_* knob reaches the plugin's options."""

from __future__ import annotations

from authkit.plugins.jwt import JWTPlugin
from authkit.settings import from_env

SECRET = "s" * 40


def _plugin(**env: str) -> JWTPlugin:
    plugins = from_env({"AUTHKIT_SECRET": SECRET, "AUTHKIT_PLUGINS": "jwt", **env})["plugins"]
    (found,) = [p for p in plugins if isinstance(p, JWTPlugin)]
    return found


def test_defaults_are_better_auths() -> None:
    opts = _plugin().options
    assert (opts.alg, opts.expiration_time, opts.jwks_path, opts.grace_period) == (
        "EdDSA", "15m", "/jwks", 2_592_000)
    assert opts.rotation_interval is None and opts.audience is None and opts.issuer is None
    assert not opts.disable_private_key_encryption and not opts.disable_setting_jwt_header
    assert opts.define_payload is None


def test_every_knob() -> None:
    opts = _plugin(AUTHKIT_JWT_ALG="ES256", AUTHKIT_JWT_ISSUER="https://i",
                   AUTHKIT_JWT_AUDIENCE="a, b", AUTHKIT_JWT_EXPIRATION="1h",
                   AUTHKIT_JWT_PAYLOAD="minimal", AUTHKIT_JWT_ROTATION_INTERVAL="60",
                   AUTHKIT_JWT_GRACE_PERIOD="30", AUTHKIT_JWT_DISABLE_KEY_ENCRYPTION="on",
                   AUTHKIT_JWT_JWKS_PATH="/.well-known/jwks.json",
                   AUTHKIT_JWT_DISABLE_HEADER="on").options
    assert (opts.alg, opts.issuer, opts.audience, opts.expiration_time) == (
        "ES256", "https://i", ("a", "b"), "1h")
    assert (opts.rotation_interval, opts.grace_period, opts.jwks_path) == (
        60, 30, "/.well-known/jwks.json")
    assert opts.disable_private_key_encryption and opts.disable_setting_jwt_header
    assert opts.define_payload is not None
    assert _plugin(AUTHKIT_JWT_AUDIENCE="only").options.audience == "only"
