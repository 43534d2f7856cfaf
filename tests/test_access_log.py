"""`authkit serve --access-log` never writes a token into the log (docs/security.md#emailed-tokens,
docs/security.md#errors)."""

import logging
import logging.config

import pytest

from authkit.access_log import RedactTokens, redact, uvicorn_log_config


@pytest.mark.parametrize("target,expected", [
    ("/api/auth/verify-email?token=eyJ.abc.def&callbackURL=%2F",
     "/api/auth/verify-email?token=***&callbackURL=***"),
    ("/api/auth/reset-password/AbC123xyz?callbackURL=/r",
     "/api/auth/reset-password/***?callbackURL=***"),
    ("/api/auth/delete-user/callback?token=abc", "/api/auth/delete-user/callback?token=***"),
    ("/api/auth/get-session", "/api/auth/get-session"),
])
def test_redact(target, expected):
    assert redact(target) == expected


def test_filter_rewrites_uvicorn_access_record():
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                               '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", "/api/auth/verify-email?token=secret",
                                "1.1", 200), None)
    assert RedactTokens().filter(record)
    assert "secret" not in record.getMessage() and "token=***" in record.getMessage()


def test_config_installs_the_filter_on_the_access_handler():
    config = uvicorn_log_config()
    assert config["handlers"]["access"]["filters"] == ["redact_tokens"]
    # Valid for logging.config (what every worker runs). Applying it reconfigures loggers for
    # the whole process (authkit's stops propagating to the root, where pytest's caplog
    # listens), so their state is put back afterwards.
    names = ["authkit", *config["loggers"]]
    saved = {n: (lg.handlers[:], lg.propagate, lg.level, lg.disabled)
             for n in names for lg in [logging.getLogger(n)]}
    try:
        logging.config.dictConfig(config)
    finally:
        for name, (handlers, propagate, level, disabled) in saved.items():
            logger = logging.getLogger(name)
            logger.handlers[:] = handlers
            logger.propagate, logger.level, logger.disabled = propagate, level, disabled
