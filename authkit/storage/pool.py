"""Connection-pool settings written in the database URL.

``authkit serve`` is configured by one ``AUTHKIT_DATABASE_URL``, so the pool is tuned there::

    postgresql://auth@db/auth?sslmode=verify-full&sslrootcert=/etc/ssl/db-ca.pem&pool_size=10&max_overflow=5&pool_timeout=5&pool_recycle=1800

These five names are taken out of the URL and given to SQLAlchemy's pool; every other query
parameter stays in the URL and reaches the driver (for PostgreSQL: libpq's ``sslmode``,
``sslrootcert``, ``sslcert``, ``sslkey``, ``connect_timeout``, ``target_session_attrs`` …).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import URL

from ..errors import ConfigError


def _bool(text: str) -> bool:
    low = text.strip().lower()
    if low in ("1", "true", "on", "yes"):
        return True
    if low in ("0", "false", "off", "no"):
        return False
    raise ValueError(text)


POOL_PARAMETERS: dict[str, Callable[[str], Any]] = {
    "pool_size": int,        # connections kept open (SQLAlchemy default 5)
    "max_overflow": int,     # extra connections under load (default 10)
    "pool_timeout": float,   # seconds to wait for a free connection before 503
    "pool_recycle": int,     # seconds after which a connection is replaced
    "pool_pre_ping": _bool,  # test each connection on checkout (authkit default: on)
}


def pool_options(url: URL, *, memory: bool = False) -> tuple[URL, dict[str, Any]]:
    """``url`` without the pool parameters, and those parameters as engine options."""
    found = {k: v for k, v in url.query.items() if k in POOL_PARAMETERS}
    if not found:
        return url, {}
    if memory:
        raise ConfigError("pool settings do not apply to an in-memory SQLite database "
                          f"(one shared connection): remove {', '.join(sorted(found))}")
    options: dict[str, Any] = {}
    for name, raw in found.items():
        value = raw[-1] if isinstance(raw, tuple) else raw
        try:
            options[name] = POOL_PARAMETERS[name](value)
        except ValueError:
            raise ConfigError(f"database URL: {name}={value!r} is not a valid value") from None
        if name != "pool_pre_ping" and options[name] < 0:
            raise ConfigError(f"database URL: {name} must not be negative")
    return url.difference_update_query(list(found)), options
