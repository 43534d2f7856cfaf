"""The email callbacks of ``authkit serve``, from ``AUTHKIT_*`` variables.

``AUTHKIT_SMTP_URL`` + ``AUTHKIT_EMAIL_FROM`` send real mail; ``AUTHKIT_EMAIL_OUTBOX`` appends
one JSON line per message to a file (the reference scenario's format). With both, each
message goes to both.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import ConfigError
from ..outbox import OutboxSender
from .callbacks import Callback, fan_out, mail_callbacks
from .smtp import SMTPSender
from .templates import Templates

# callback option name -> outbox "type" (the reference server writes the first two).
OUTBOX_TYPES = {
    "send_verification_email": "verify-email",
    "send_reset_password": "reset-password",
    "send_change_email_confirmation": "change-email-confirmation",
    "send_delete_account_verification": "delete-account",
}


def smtp_sender_from_env(env: Mapping[str, str]) -> SMTPSender | None:
    """The SMTP sender of ``AUTHKIT_SMTP_URL`` + ``AUTHKIT_EMAIL_FROM``, or ``None``."""
    smtp_url = env.get("AUTHKIT_SMTP_URL") or ""
    from_address = env.get("AUTHKIT_EMAIL_FROM") or ""
    if not smtp_url or not from_address:
        return None
    try:
        return SMTPSender.from_url(smtp_url, from_address=from_address)
    except ConfigError as exc:
        # The URL may hold a password: name the variable, never echo its value.
        raise ConfigError(f"AUTHKIT_SMTP_URL: {exc}") from None


def callbacks_from_env(env: Mapping[str, str], *, app_name: str = "authkit"
                       ) -> dict[str, Callback]:
    """``{option name: callback}`` for every email callback, or ``{}`` when mail is off."""
    smtp_url = env.get("AUTHKIT_SMTP_URL") or ""
    from_address = env.get("AUTHKIT_EMAIL_FROM") or ""
    outbox = env.get("AUTHKIT_EMAIL_OUTBOX") or ""
    if smtp_url and not from_address:
        raise ConfigError("AUTHKIT_SMTP_URL needs AUTHKIT_EMAIL_FROM (the sender address, "
                          "e.g. 'Example <auth@example.com>')")
    if from_address and not smtp_url:
        raise ConfigError("AUTHKIT_EMAIL_FROM is only used with AUTHKIT_SMTP_URL; set both")
    found: dict[str, list[Callback]] = {name: [] for name in OUTBOX_TYPES}
    if smtp_url:
        try:
            sender = SMTPSender.from_url(smtp_url, from_address=from_address)
        except ConfigError as exc:
            # The URL may hold a password: name the variable, never echo its value.
            raise ConfigError(f"AUTHKIT_SMTP_URL: {exc}") from None
        mail = mail_callbacks(sender, Templates(app_name=app_name))
        found["send_verification_email"].append(mail.send_verification_email)
        found["send_reset_password"].append(mail.send_reset_password)
        found["send_change_email_confirmation"].append(mail.send_change_email_confirmation)
        found["send_delete_account_verification"].append(mail.send_delete_account_verification)
    if outbox:
        for name, kind in OUTBOX_TYPES.items():
            found[name].append(OutboxSender(outbox, kind))
    return {name: fns[0] if len(fns) == 1 else fan_out(*fns)
            for name, fns in found.items() if fns}
