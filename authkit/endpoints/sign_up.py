"""POST /sign-up/email (docs/wire-compatibility.md#sign-up)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from pydantic import Field

from ..email_tokens import send_verification_email
from ..errors import APIError
from ..models import User, masked_repr
from ..observability import log_event
from ..passwords import password_length
from ..storage import DuplicateError
from ..tokens import generate_id
from ..validation import Body, Email
from .context import Context
from .fields import parse_input_fields
from .registry import Endpoint, endpoint


class SignUpBody(Body):
    """Body of ``/sign-up/email``."""

    # Better Auth's schema is object.and(record): a non-object body reports both issues.
    schema_types: ClassVar[tuple[str, ...]] = ("object", "record")

    name: str
    email: Email
    password: Annotated[str, Field(min_length=1)]
    image: str | None = None
    callbackURL: str | None = None
    rememberMe: bool | None = None


@dataclass
class SignUpResult:
    """``{token, user}``; ``token`` is ``None`` when no session was started."""

    token: str | None
    user: User

    def __repr__(self) -> str:
        return masked_repr(self)  # the session token never prints

    def to_json(self) -> dict[str, Any]:
        """The wire shape."""
        return {"token": self.token, "user": self.user.to_json()}


def check_password_length(ctx: Context, password: str, *, minimum: bool = True) -> None:
    """Better Auth's length rules, counted in UTF-16 code units (docs/security.md#credentials)."""
    opts = ctx.auth.options.email_and_password
    length = password_length(password)
    if minimum and length < opts.min_password_length:
        raise APIError(400, "PASSWORD_TOO_SHORT")
    if length > opts.max_password_length:
        raise APIError(400, "PASSWORD_TOO_LONG")


def sign_up_email(ctx: Context) -> SignUpResult:
    """Create a user with a password, and sign in unless configured otherwise."""
    auth = ctx.auth
    opts = auth.options.email_and_password
    body: SignUpBody = ctx.body
    if not opts.enabled or opts.disable_sign_up:
        raise APIError(400, "EMAIL_PASSWORD_SIGN_UP_DISABLED")
    check_password_length(ctx, body.password)
    extra = parse_input_fields(auth.user_fields, body.model_extra or {}, action="create")
    email = body.email.lower()
    protected = opts.require_email_verification or not opts.auto_sign_in
    now = auth.now()
    data: dict[str, Any] = {
        "id": generate_id(), "name": body.name, "email": email, "emailVerified": False,
        "image": body.image, "createdAt": now, "updatedAt": now, **extra,
    }
    existing = auth.db.get_user_by_email(email)
    if existing is not None:
        return _existing_user(ctx, body, data, existing, protected)
    password_hash = auth.hasher.hash(body.password)
    try:
        # Better Auth answers any other failure of createUser (an adapter error, a hook's
        # bug) 422 FAILED_TO_CREATE_USER, logging the cause; a veto is a 400.
        user = auth.db.create_user_with_credential(
            ctx, data, password_hash=password_hash,
            refused=lambda: APIError(400, "FAILED_TO_CREATE_USER"),
            failed=lambda: APIError(422, "FAILED_TO_CREATE_USER"))
    except DuplicateError:
        # Lost a race with a concurrent sign-up of the same email: same answer as above.
        if protected:
            return SignUpResult(None, _synthetic_user(auth, data))
        raise APIError(422, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL") from None
    log_event(ctx, "sign_up", user_id=user.id)
    ev = auth.options.email_verification
    send_on_sign_up = ev.send_on_sign_up
    if send_on_sign_up is None:
        send_on_sign_up = opts.require_email_verification
    if send_on_sign_up and ev.send_verification_email is not None:
        send_verification_email(ctx, user, body.callbackURL or "/")
    if protected:
        return SignUpResult(None, user)
    session = auth.sessions.create(ctx, user, dont_remember=body.rememberMe is False, status=400)
    auth.sessions.set_cookies(ctx, session, user, dont_remember=body.rememberMe is False)
    return SignUpResult(session.token, user)


def _existing_user(ctx: Context, body: SignUpBody, data: dict[str, Any], existing: User,
                   protected: bool) -> SignUpResult:
    auth = ctx.auth
    if not protected:
        raise APIError(422, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL")
    log_event(ctx, "sign_up.existing_email", user_id=existing.id)
    # Enumeration protection (docs/security.md#account-enumeration): do the hashing a real sign-up
    # does, answer as if new.
    auth.hasher.hash(body.password)
    hook = auth.options.email_and_password.on_existing_user_sign_up
    if hook is not None:
        from ..user_callbacks import call_user_callback

        call_user_callback(hook, user=existing)
    return SignUpResult(None, _synthetic_user(auth, data))


def _synthetic_user(auth: Any, data: dict[str, Any]) -> User:
    """A user shaped exactly like a real new one: same keys, same order, optional fields null."""
    core = {"id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt"}
    extra = {f.name: data.get(f.name) for f in auth.user_fields}
    extra.update({k: v for k, v in data.items() if k not in core and k in extra})
    return User(id=generate_id(), name=data["name"], email=data["email"], email_verified=False,
                image=data.get("image"), created_at=data["createdAt"],
                updated_at=data["updatedAt"], extra=extra)


ENDPOINTS: list[Endpoint] = [
    endpoint("sign_up_email", "/sign-up/email", "POST", sign_up_email, body=SignUpBody,
             allow_form=True, form_csrf=True, summary="Sign up a user with email and password",
             error_codes=("EMAIL_PASSWORD_SIGN_UP_DISABLED", "PASSWORD_TOO_SHORT",
                          "PASSWORD_TOO_LONG", "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL",
                          "FAILED_TO_CREATE_USER", "FIELD_NOT_ALLOWED", "MISSING_FIELD")),
]
