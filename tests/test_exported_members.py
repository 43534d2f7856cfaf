"""The public surface is deliberate: adding or removing a name is a visible change."""

import authkit

EXPECTED = {
    "APIError", "ASGIAuthMiddleware", "Account", "AdvancedOptions", "AuthError", "AuthKit",
    "ConfigError", "CookieCacheOptions", "EmailAndPasswordOptions", "EmailVerificationOptions",
    "FieldSpec", "HeadersAndResult", "Hooks", "RateLimitOptions", "Request", "RequestAuth",
    "Response", "Session", "SessionOptions", "SessionWithUser", "User", "UserOptions", "VerificationOptions",
    "WSGIAuthMiddleware", "require_role", "require_session", "safe_redirect_path", "with_auth",
    # What the Flask and Starlette adapters build on (they import only from here).
    "ForbiddenPage", "IsAPIRequest", "MiddlewareOptions", "RoleSpec", "Verdict", "error_response", "forbidden",
    "request_auth", "unauthorized", "user_roles", "credential_of", "kinds_of",
}


def test_all_is_the_public_surface():
    assert set(authkit.__all__) == EXPECTED
    public = {n for n in dir(authkit) if not n.startswith("_")}
    modules = {n for n in public if type(getattr(authkit, n)).__name__ == "module"}
    assert public - modules == EXPECTED
