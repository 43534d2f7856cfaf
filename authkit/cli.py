"""The ``authkit`` command: ``serve``, ``migrate``, ``secret``, ``create-user``, and the admin
plugin's ``set-role``, ``ban``, ``unban``, ``list-users``.

Every mistake an operator can make (a bad option, database URL or variable) ends in one
``authkit: error: ...`` line and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import getpass
import importlib
import os
import secrets
import sys
from collections.abc import Sequence
from typing import Any

from .access_log import uvicorn_log_config
from .errors import AuthError, ConfigError
from .storage import StorageUnavailable


def load_app(spec: str | None) -> Any:
    """The user's ``AuthKit`` from ``module:attr``, or one built from the environment."""
    from .core import AuthKit

    if spec is None:
        return AuthKit.from_env()
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ConfigError(f"--app {spec!r}: use the form 'package.module:auth'")
    sys.path.insert(0, "")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"--app {spec!r}: cannot import {module_name!r} ({exc})") from None
    auth = getattr(module, attr, None)
    if isinstance(auth, type):
        # The class itself (``--app authkit:AuthKit``) would build a default, unconfigured
        # server on another database; a factory function is fine, a class is a slip.
        raise ConfigError(f"--app {spec!r}: {attr!r} is a class; point at your configured "
                          "instance, e.g. --app myapp:auth where auth = AuthKit(...)")
    if callable(auth) and not isinstance(auth, AuthKit):
        auth = auth()
    if not isinstance(auth, AuthKit):
        raise ConfigError(f"--app {spec!r}: {attr!r} is not an AuthKit instance")
    return auth


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the auth server with uvicorn."""
    try:
        import uvicorn
    except ImportError:
        raise ConfigError("`authkit serve` needs uvicorn: pip install 'authkit-server[server]'") from None
    auth = load_app(args.app)
    done = auth.migrate()
    if done:
        print(f"authkit: migrated: {', '.join(done)}", file=sys.stderr)
    print(f"authkit: serving {auth.base_path} on http://{args.host}:{args.port}", file=sys.stderr)
    common: dict[str, Any] = {"host": args.host, "port": args.port, "log_level": args.log_level,
                              "access_log": args.access_log, "lifespan": "on",
                              "log_config": uvicorn_log_config(),
                              # uvicorn would otherwise rewrite the client address from
                              # X-Forwarded-For for peers on 127.0.0.1, so a local client could
                              # pick its own rate-limit bucket. Who is believed is authkit's
                              # AUTHKIT_TRUSTED_PROXIES alone; without it, the socket peer.
                              "proxy_headers": False}
    if args.workers > 1:
        # Worker processes import the app themselves: hand them the same --app spec.
        os.environ[_SPEC_ENV] = args.app or ""
        uvicorn.run("authkit.cli:serve_factory", factory=True, workers=args.workers, **common)
    else:
        uvicorn.run(serve_app(auth), **common)
    return 0


def serve_app(auth: Any) -> Any:
    """What `authkit serve` runs: the auth handler, with the health check at
    AUTHKIT_HEALTH_PATH (default /health) in front of it."""
    from .health import HealthApp
    from .settings import health_path

    path = health_path()
    app = auth.asgi_app()
    return HealthApp(app, auth, path) if path else app


# Not AUTHKIT_-prefixed on purpose: the environment check refuses unknown AUTHKIT_* names.
_SPEC_ENV = "_AUTHKIT_SERVE_APP"


def serve_factory() -> Any:
    """The ASGI app of one ``authkit serve --workers N`` worker process."""
    return serve_app(load_app(os.environ.get(_SPEC_ENV) or None))


def cmd_migrate(args: argparse.Namespace) -> int:
    """Create what is missing in the database."""
    auth = load_app(args.app)
    done = auth.migrate()
    print("\n".join(done) if done else "nothing to do")
    return 0


def cmd_secret(args: argparse.Namespace) -> int:
    """Print a new random secret."""
    print(secrets.token_urlsafe(48))
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    """Create a user with a password (and a role, with the admin plugin)."""
    from .plugins.admin import find_admin

    auth = load_app(args.app)
    password = args.password if args.password is not None else ask_password()
    check_password_policy(auth, password)
    auth.migrate()
    body: dict[str, Any] = {"email": args.email, "password": password, "name": args.name}
    if find_admin(auth) is not None:
        # The admin plugin's create-user: in-process and without headers, so no session is
        # needed (an operator on the server), and the role is set at creation.
        if args.role:
            body["role"] = [r for r in args.role.split(",") if r]
        user = auth.api.create_user(body=body)["user"]
    elif args.role:
        raise ConfigError("--role needs the admin plugin (authkit.plugins.admin)")
    else:
        user = auth.api.sign_up_email(body=body).user
    print(f"created user {user.id} <{user.email}>")
    return 0


def ask_password() -> str:
    """The new user's password from the terminal (asked twice), or one line of stdin."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat the password: ") != first:
        raise ConfigError("the two passwords differ")
    return first


def check_password_policy(auth: Any, password: str) -> None:
    """The configured length bounds, as sign-up applies them."""
    from .passwords import password_length

    opts = auth.options.email_and_password
    length = password_length(password)
    if length < opts.min_password_length:
        raise ConfigError(f"the password is too short: use at least "
                          f"{opts.min_password_length} characters")
    if length > opts.max_password_length:
        raise ConfigError(f"the password is too long: use at most "
                          f"{opts.max_password_length} characters")


def port_number(value: str) -> int:
    """An argparse type: a TCP port, 1-65535."""
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is outside 1-65535")
    return port


def positive(value: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{number} is less than 1")
    return number


def version() -> str:
    """The installed distribution's version."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    for name in (DISTRIBUTION, "authkit"):
        try:
            return dist_version(name)
        except PackageNotFoundError:
            continue
    return "unknown"


# The name on the package index; the import package is ``authkit``.
DISTRIBUTION = "authkit-server"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    parser = argparse.ArgumentParser(
        prog="authkit", description="Run and administer an authkit (Better Auth) server.")
    parser.add_argument("--version", action="version", version=f"authkit {version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    app_help = "module:attr of your AuthKit (default: configure from AUTHKIT_* variables)"

    p = sub.add_parser("serve", help="run the auth server (uvicorn)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=port_number, default=3000)
    p.add_argument("--app", default=None, help=app_help)
    p.add_argument("--log-level", default="info")
    p.add_argument("--access-log", action="store_true")
    p.add_argument("--workers", type=positive, default=1,
                   help="worker processes (the core is CPU-bound per process: use one per core)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("migrate", help="create missing tables, columns and indexes")
    p.add_argument("--app", default=None, help=app_help)
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("secret", help="print a new random secret")
    p.set_defaults(func=cmd_secret)

    p = sub.add_parser("create-user", help="create a user with a password")
    p.add_argument("--email", required=True)
    p.add_argument("--password", default=None,
                   help="asked for (not echoed) when left out; read from stdin when piped")
    p.add_argument("--name", required=True)
    p.add_argument("--role", default=None)
    p.add_argument("--app", default=None, help=app_help)
    p.set_defaults(func=cmd_create_user)

    from .plugins.admin.commands import add_commands

    add_commands(sub, app_help, load_app)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``authkit`` command."""
    from sqlalchemy.exc import SQLAlchemyError

    from .settings import health_path

    args = build_parser().parse_args(argv)
    try:
        health_path()  # a malformed AUTHKIT_HEALTH_PATH is refused by every command
        result: int = args.func(args)
        return result
    except AuthError as exc:
        # APIError from create-user (e.g. duplicate email) and ConfigError: one clear line.
        message = getattr(exc, "message", None) or str(exc)
        cause = exc.__cause__ or exc.__context__
        if isinstance(exc, StorageUnavailable) and cause is not None:
            message = f"{message}: {_first_line(getattr(cause, 'orig', None) or cause)}"
        print(f"authkit: error: {message}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:
        # An unknown database, refused credentials, an unreachable server: the driver's
        # own words, one line (the URL, which may hold a password, is not repeated).
        reason = _first_line(getattr(exc, "orig", None) or exc)
        print(f"authkit: error: cannot use the database: {reason}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _first_line(error: object) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


if __name__ == "__main__":
    sys.exit(main())
