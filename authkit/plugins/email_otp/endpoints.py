"""The plugin's endpoint table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...endpoints.registry import Endpoint, endpoint
from .account import (
    AccountRoutes,
    ChangeBody,
    EmailBody,
    RequestChangeBody,
    ResetBody,
)
from .routes import CheckBody, EmailQuery, Routes, SendBody, SignInBody, VerifyEmailBody

if TYPE_CHECKING:
    from . import EmailOTPPlugin

OTP_CODES = ("INVALID_EMAIL", "OTP_EXPIRED", "INVALID_OTP", "TOO_MANY_ATTEMPTS")


def build(plugin: EmailOTPPlugin) -> tuple[Routes, list[Endpoint]]:
    """The routes object (shared by the account routes and the sign-up hook) and endpoints."""
    routes = Routes(plugin)
    account = AccountRoutes(plugin)
    p = "email-otp"
    return routes, [
        endpoint("send_verification_otp", "/email-otp/send-verification-otp", "POST",
                 routes.send_verification_otp, body=SendBody, form_csrf=True, plugin=p,
                 summary="Email a one-time code", error_codes=("INVALID_EMAIL",)),
        endpoint("create_verification_otp", None, "POST", routes.create_verification_otp,
                 body=SendBody, plugin=p, summary="Create a one-time code (server only)"),
        endpoint("get_verification_otp", None, "GET", routes.get_verification_otp,
                 query=EmailQuery, plugin=p, summary="Read a live code (server only)"),
        endpoint("check_verification_otp", "/email-otp/check-verification-otp", "POST",
                 routes.check_verification_otp, body=CheckBody, plugin=p,
                 summary="Check a code without using it",
                 error_codes=(*OTP_CODES, "USER_NOT_FOUND")),
        endpoint("verify_email_otp", "/email-otp/verify-email", "POST", routes.verify_email,
                 body=VerifyEmailBody, plugin=p, summary="Verify an address with a code",
                 error_codes=(*OTP_CODES, "USER_NOT_FOUND")),
        endpoint("sign_in_email_otp", "/sign-in/email-otp", "POST", routes.sign_in,
                 body=SignInBody, plugin=p, summary="Sign in with a code",
                 error_codes=(*OTP_CODES, "FIELD_NOT_ALLOWED")),
        endpoint("request_password_reset_email_otp", "/email-otp/request-password-reset",
                 "POST", account.request_password_reset, body=EmailBody, plugin=p,
                 summary="Email a password-reset code", error_codes=("INVALID_EMAIL",)),
        endpoint("forget_password_email_otp", "/forget-password/email-otp", "POST",
                 account.request_password_reset, body=EmailBody, plugin=p,
                 summary="Email a password-reset code (older path)",
                 error_codes=("INVALID_EMAIL",)),
        endpoint("reset_password_email_otp", "/email-otp/reset-password", "POST",
                 account.reset_password, body=ResetBody, plugin=p,
                 summary="Reset the password with a code",
                 error_codes=(*OTP_CODES, "USER_NOT_FOUND", "PASSWORD_TOO_SHORT",
                              "PASSWORD_TOO_LONG")),
        endpoint("request_email_change_email_otp", "/email-otp/request-email-change", "POST",
                 account.request_email_change, body=RequestChangeBody, plugin=p,
                 summary="Email a code to a new address", error_codes=OTP_CODES),
        endpoint("change_email_email_otp", "/email-otp/change-email", "POST",
                 account.change_email, body=ChangeBody, plugin=p,
                 summary="Change the address with a code", error_codes=OTP_CODES),
    ]
