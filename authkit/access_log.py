"""Access-log redaction for ``authkit serve --access-log``.

Verification and reset links carry their token in the URL (``?token=…``,
``/reset-password/<token>``); an access log that printed them would hand out working links to
anyone who reads the log (docs/security.md#emailed-tokens, docs/security.md#errors).
"""

from __future__ import annotations

import copy
import logging
import re
import time
from typing import Any

_QUERY_TOKEN = re.compile(r"((?:^|[?&])(?:token|callbackURL)=)[^&\s]*", re.IGNORECASE)
_PATH_TOKEN = re.compile(r"(/reset-password/)[^/?\s]+")


def redact(target: str) -> str:
    """A request target with token values replaced by ``***``."""
    return _PATH_TOKEN.sub(r"\1***", _QUERY_TOKEN.sub(r"\1***", target))


class RedactTokens(logging.Filter):
    """Rewrites uvicorn's access-log arguments (client, method, path, version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact(args[2]), *args[3:])
        return True


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's default logging config with the redacting filter on the access handler.

    A config dict rather than a filter added at run time, so every ``--workers`` process
    applies it too.
    """
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_tokens"] = {"()": "authkit.access_log.RedactTokens"}
    config["handlers"]["access"]["filters"] = ["redact_tokens"]
    # authkit's own records (security events, outages): a UTC timestamp and the level on
    # every line, INFO and up. Without this they reach Python's last-resort handler, which
    # drops INFO (every sign-in) and prints warnings as bare text.
    config["formatters"]["authkit"] = {
        "()": "authkit.access_log.UTCFormatter",
        "fmt": "%(asctime)s %(levelname)s %(name)s: %(message)s",
    }
    config["handlers"]["authkit"] = {"formatter": "authkit", "class": "logging.StreamHandler",
                                     "stream": "ext://sys.stderr"}
    config["loggers"]["authkit"] = {"handlers": ["authkit"], "level": "INFO",
                                    "propagate": False}
    return config


class UTCFormatter(logging.Formatter):
    """ISO 8601 timestamps in UTC with milliseconds: ``2026-01-31T12:00:00.123Z``."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        return f"{stamp}.{int(record.msecs):03d}Z"
