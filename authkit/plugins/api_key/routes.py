"""``/api-key/create|get|update|delete|list`` and the server-only ``verify_api_key`` and
``delete_all_expired_api_keys``, with Better Auth's checks in its order."""

from __future__ import annotations

import json
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field

from ...endpoints.registry import Endpoint, endpoint
from ...errors import APIError
from ...js import truthy
from ...models import SessionWithUser
from ...storage.query import Condition, Sort
from ...tokens import random_string
from ...validation import Body, Message
from . import usage
from .errors import key_error
from .schema import COLUMNS, MODEL, hash_key, metadata_of, wire

if TYPE_CHECKING:
    from ...endpoints.context import Context
    from . import ApiKeyPlugin

LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
SERVER_ONLY = ("refillAmount", "refillInterval", "rateLimitMax", "rateLimitTimeWindow",
               "rateLimitEnabled", "permissions")
_PREFIX_MESSAGE = ("Invalid prefix format, must be alphanumeric and contain only underscores "
                   "and hyphens.")
# Long enough for any real use, short enough for every database's text columns.
_MAX_TEXT = 1024
# metadata is stored as JSON text; MariaDB's TEXT holds 64 KiB, so a larger value would fail
# in the database instead of answering 400.
MAX_METADATA = 16384
Count = Annotated[int, Field(ge=0)]


class CreateBody(Body):
    """Body of ``/api-key/create``."""

    name: str | None = None  # length checked by _check_name (INVALID_NAME_LENGTH)
    prefix: Annotated[str, Field(pattern=r"^[a-zA-Z0-9_-]+$", max_length=_MAX_TEXT),
                      Message(_PREFIX_MESSAGE)] | None = None
    expiresIn: Any = None  # a number >= 1, or null (checked by _number)
    metadata: Any = None
    configId: str | None = None
    userId: str | None = None
    organizationId: str | None = None
    remaining: Any = None  # a number >= 0, or null
    refillAmount: Annotated[int, Field(ge=1)] | None = None
    refillInterval: Count | None = None
    rateLimitTimeWindow: Count | None = None
    rateLimitMax: Count | None = None
    rateLimitEnabled: bool | None = None
    permissions: dict[str, list[str]] | None = None


class GetQuery(Body):
    """Query of ``/api-key/get``."""

    id: str
    configId: str | None = None


class UpdateBody(Body):
    """Body of ``/api-key/update``."""

    keyId: str
    userId: str | None = None
    name: str | None = None  # length checked by _check_name (INVALID_NAME_LENGTH)
    enabled: bool | None = None
    expiresIn: Any = None  # a number >= 1, or null: null removes the expiry
    metadata: Any = None
    configId: str | None = None
    remaining: Any = None
    refillAmount: Count | None = None
    refillInterval: Count | None = None
    rateLimitTimeWindow: Count | None = None
    rateLimitMax: Count | None = None
    rateLimitEnabled: bool | None = None
    permissions: dict[str, list[str]] | None = None


class DeleteBody(Body):
    """Body of ``/api-key/delete``."""

    keyId: str
    configId: str | None = None


class ListQuery(Body):
    """Query of ``/api-key/list`` (numbers arrive as text and are coerced)."""

    limit: str | int | None = None
    offset: str | int | None = None
    sortBy: str | None = None
    sortDirection: Literal["asc", "desc"] | None = None
    configId: str | None = None
    organizationId: str | None = None


class VerifyBody(Body):
    """Body of the server-only ``verify_api_key``."""

    key: str
    permissions: dict[str, list[str]] | None = None
    configId: str | None = None


def _number(value: Any, name: str, minimum: int) -> Any:
    """zod's ``z.number().min(n).nullable()`` for the fields that accept null."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        kind = "boolean" if isinstance(value, bool) else "string" if isinstance(value, str) \
            else "array" if isinstance(value, list) else "object"
        raise APIError(400, "VALIDATION_ERROR",
                       f"[body.{name}] Invalid input: expected number, received {kind}")
    if value < minimum:
        raise APIError(400, "VALIDATION_ERROR",
                       f"[body.{name}] Too small: expected number to be >={minimum}")
    return int(value) if float(value).is_integer() else value


def _metadata_text(value: Any) -> str:
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if len(text.encode("utf-8")) > MAX_METADATA:
        raise APIError(400, "VALIDATION_ERROR",
                       f"[body.metadata] Too big: at most {MAX_METADATA} bytes of JSON")
    return text


def _is_client(ctx: Context) -> bool:
    return ctx.request is not None or ctx.has_headers


def _given(body: Body, name: str) -> bool:
    return name in body.model_fields_set


def _session(ctx: Context) -> SessionWithUser | None:
    # Keys are credentials: the session is read from the store, never the cookie cache.
    return ctx.auth.sessions.resolve(ctx, disable_cookie_cache=True)


def _check_expires_in(plugin: ApiKeyPlugin, seconds: float) -> None:
    opts = plugin.options
    if opts.disable_custom_expires_time:
        raise key_error(400, "KEY_DISABLED_EXPIRATION")
    days = seconds / 86400
    if days < opts.min_expires_in:
        raise key_error(400, "EXPIRES_IN_IS_TOO_SMALL")
    if days > opts.max_expires_in:
        raise key_error(400, "EXPIRES_IN_IS_TOO_LARGE")


def _check_name(plugin: ApiKeyPlugin, name: str) -> None:
    # _MAX_TEXT too: a configured maximum above it must still not reach the database.
    if len(name) > _MAX_TEXT or not plugin.options.min_name_length <= len(name) <= plugin.options.max_name_length:
        raise key_error(400, "INVALID_NAME_LENGTH")


def create(plugin: ApiKeyPlugin, ctx: Context) -> dict[str, Any]:
    """POST /api-key/create → the key object with the plaintext ``key`` (shown only here)."""
    body: CreateBody = ctx.body
    expires_in_given = _number(body.expiresIn, "expiresIn", 1)
    remaining_given = _number(body.remaining, "remaining", 0)
    opts = plugin.options
    auth = ctx.auth
    client = _is_client(ctx)
    if client and (any(_given(body, f) for f in SERVER_ONLY) or remaining_given is not None):
        raise key_error(400, "SERVER_ONLY_PROPERTY")
    if client and _given(body, "userId"):
        raise key_error(401, "UNAUTHORIZED_SESSION")
    session = _session(ctx)
    if session is None and (client or not body.userId):
        raise key_error(401, "UNAUTHORIZED_SESSION")
    if session is not None and body.userId and body.userId != session.user.id:
        raise key_error(401, "UNAUTHORIZED_SESSION")
    reference_id = session.user.id if session is not None else str(body.userId)
    metadata = body.metadata
    # JavaScript truthiness, as Better Auth's `if (metadata)`: {} and [] count, 0 and "" do not.
    has_metadata = truthy(metadata)
    if has_metadata:
        if not opts.enable_metadata:
            raise key_error(400, "METADATA_DISABLED")
        if not isinstance(metadata, (dict, list)):
            raise key_error(400, "INVALID_METADATA_TYPE")
    if body.refillAmount and not body.refillInterval:
        raise key_error(400, "REFILL_AMOUNT_AND_INTERVAL_REQUIRED")
    if body.refillInterval and not body.refillAmount:
        raise key_error(400, "REFILL_INTERVAL_AND_AMOUNT_REQUIRED")
    if expires_in_given:
        _check_expires_in(plugin, expires_in_given)
    if body.prefix and not (opts.min_prefix_length <= len(body.prefix)
                            <= opts.max_prefix_length):
        raise key_error(400, "INVALID_PREFIX_LENGTH")
    if body.name:
        _check_name(plugin, body.name)
    elif opts.require_name:
        raise key_error(400, "NAME_REQUIRED")
    plugin.sweep_expired(auth)
    prefix = body.prefix or opts.default_prefix
    key = (prefix or "") + random_string(opts.default_key_length, LETTERS)
    now = auth.now()
    expires_in = expires_in_given or opts.default_expires_in
    permissions = body.permissions or opts.default_permissions
    remaining = remaining_given if remaining_given is not None else body.refillAmount
    row = auth.storage.create_row(MODEL, {
        "configId": "default",
        "createdAt": now, "updatedAt": now,
        "name": body.name, "prefix": prefix,
        "start": key[:opts.start_length] if opts.store_start else None,
        "key": key if opts.disable_key_hashing else hash_key(key),
        "enabled": True,
        "expiresAt": now + timedelta(seconds=expires_in) if expires_in else None,
        "referenceId": reference_id,
        "lastRefillAt": None, "lastRequest": None,
        "metadata": _metadata_text(metadata if has_metadata else None),
        "rateLimitMax": body.rateLimitMax if body.rateLimitMax is not None
        else opts.rate_limit_max,
        "rateLimitTimeWindow": body.rateLimitTimeWindow if body.rateLimitTimeWindow is not None
        else opts.rate_limit_time_window,
        "remaining": remaining,
        "refillAmount": body.refillAmount, "refillInterval": body.refillInterval,
        "rateLimitEnabled": body.rateLimitEnabled if body.rateLimitEnabled is not None
        else opts.rate_limit_enabled,
        "requestCount": 0,
        "permissions": json.dumps(permissions, separators=(",", ":")) if permissions else None,
    })
    # Better Auth echoes the metadata as sent (`metadata ?? null`): a falsy value such as
    # false or 0 comes back although the row stores none.
    return {**wire(row, key=key), "metadata": metadata}


def _own_key(ctx: Context, key_id: str, user_id: str) -> dict[str, Any]:
    if len(key_id) > _MAX_TEXT:
        raise key_error(404, "KEY_NOT_FOUND")
    row = ctx.auth.storage.find_row(MODEL, {"id": key_id})
    # Another user's key answers exactly like a missing one: no existence leak.
    if row is None or row["referenceId"] != user_id:
        raise key_error(404, "KEY_NOT_FOUND")
    return row


def _read(plugin: ApiKeyPlugin, ctx: Context, row: dict[str, Any]) -> dict[str, Any]:
    metadata, legacy = metadata_of(row)
    if legacy:
        # Rewrite double-encoded metadata once, as Better Auth migrates it on read.
        text = json.dumps(metadata, separators=(",", ":"), ensure_ascii=False)
        ctx.auth.storage.update_rows(MODEL, {"id": row["id"]}, {"metadata": text})
        row = {**row, "metadata": text}
    return wire(row)


def get(plugin: ApiKeyPlugin, ctx: Context) -> dict[str, Any]:
    """GET /api-key/get?id= → the key object without ``key``."""
    found = ctx.require_session(sensitive=True)
    plugin.sweep_expired(ctx.auth)
    return _read(plugin, ctx, _own_key(ctx, ctx.query.id, found.user.id))


def update(plugin: ApiKeyPlugin, ctx: Context) -> dict[str, Any]:
    """POST /api-key/update → the key object after the change."""
    body: UpdateBody = ctx.body
    expires_in_given = _number(body.expiresIn, "expiresIn", 1)
    remaining_given = _number(body.remaining, "remaining", 0)
    opts = plugin.options
    client = _is_client(ctx)
    session = _session(ctx)
    user_id = None if client and session is None else (
        session.user.id if session is not None else body.userId)
    if not user_id:
        raise key_error(401, "UNAUTHORIZED_SESSION")
    if session is not None and body.userId and body.userId != session.user.id:
        raise key_error(401, "UNAUTHORIZED_SESSION")
    if client and (any(_given(body, f) for f in SERVER_ONLY) or _given(body, "remaining")):
        raise key_error(400, "SERVER_ONLY_PROPERTY")
    row = _own_key(ctx, body.keyId, user_id)
    values: dict[str, Any] = {}
    if body.name is not None:
        _check_name(plugin, body.name)
        values["name"] = body.name
    if body.enabled is not None:
        values["enabled"] = body.enabled
    if _given(body, "expiresIn"):
        if opts.disable_custom_expires_time:
            raise key_error(400, "KEY_DISABLED_EXPIRATION")
        if expires_in_given is not None:
            _check_expires_in(plugin, expires_in_given)
        values["expiresAt"] = (ctx.auth.now() + timedelta(seconds=expires_in_given)
                               if expires_in_given else None)
    if _given(body, "metadata") and opts.enable_metadata:
        if body.metadata is not None and not isinstance(body.metadata, (dict, list)):
            raise key_error(400, "INVALID_METADATA_TYPE")
        values["metadata"] = _metadata_text(body.metadata)
    if _given(body, "remaining"):
        values["remaining"] = remaining_given
    if _given(body, "refillAmount") or _given(body, "refillInterval"):
        if not _given(body, "refillInterval"):
            raise key_error(400, "REFILL_AMOUNT_AND_INTERVAL_REQUIRED")
        if not _given(body, "refillAmount"):
            raise key_error(400, "REFILL_INTERVAL_AND_AMOUNT_REQUIRED")
        values["refillAmount"] = body.refillAmount
        values["refillInterval"] = body.refillInterval
    for name in ("rateLimitEnabled", "rateLimitTimeWindow", "rateLimitMax"):
        if _given(body, name):
            values[name] = getattr(body, name)
    if _given(body, "permissions"):
        values["permissions"] = (json.dumps(body.permissions, separators=(",", ":"))
                                 if body.permissions is not None else None)
    if not values:
        raise key_error(400, "NO_VALUES_TO_UPDATE")
    ctx.auth.storage.update_rows(MODEL, {"id": row["id"]}, values)
    plugin.sweep_expired(ctx.auth)
    fresh = ctx.auth.storage.find_row(MODEL, {"id": row["id"]})
    if fresh is None:
        raise key_error(404, "KEY_NOT_FOUND")
    return _read(plugin, ctx, fresh)


def delete(plugin: ApiKeyPlugin, ctx: Context) -> dict[str, bool]:
    """POST /api-key/delete → ``{"success": true}``."""
    body: DeleteBody = ctx.body
    found = ctx.require_session(sensitive=True)
    if found.user.extra.get("banned") is True:
        raise key_error(401, "USER_BANNED")
    row = _own_key(ctx, body.keyId, found.user.id)
    ctx.auth.storage.delete_rows(MODEL, {"id": row["id"]})
    plugin.sweep_expired(ctx.auth)
    return {"success": True}


def _count(value: str | int | None, name: str) -> int | None:
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        raise APIError(400, "VALIDATION_ERROR",
                       f"[query.{name}] Invalid input: expected number, received NaN") from None
    if number < 0:
        raise APIError(400, "VALIDATION_ERROR",
                       f"[query.{name}] Too small: expected number to be >=0")
    return number


def list_keys(plugin: ApiKeyPlugin, ctx: Context) -> dict[str, Any]:
    """GET /api-key/list → ``{apiKeys, total, limit?, offset?}``: the caller's keys only."""
    query: ListQuery = ctx.query
    found = ctx.require_session(sensitive=True)
    limit, offset = _count(query.limit, "limit"), _count(query.offset, "offset")
    if query.organizationId:
        return _list_organization_keys(ctx, query.organizationId, found.user.id, limit, offset)
    sort = None
    if query.sortBy is not None:
        # Better Auth answers an unknown column with a bare 500; a 400 says what is wrong.
        if query.sortBy not in COLUMNS or query.sortBy == "key":
            allowed = ", ".join(c for c in COLUMNS if c != "key")
            raise APIError(400, "VALIDATION_ERROR",
                           f"[query.sortBy] Unknown field {query.sortBy[:64]!r}: expected one "
                           f"of {allowed}")
        sort = Sort(query.sortBy, query.sortDirection or "asc")
    plugin.sweep_expired(ctx.auth)
    where = [Condition("referenceId", "eq", found.user.id)]
    storage = ctx.auth.storage
    rows = storage.find_rows(MODEL, where, sort=sort, limit=limit, offset=offset or 0)
    out: dict[str, Any] = {"apiKeys": [_read(plugin, ctx, r) for r in rows],
                           "total": storage.count_rows(MODEL, where)}
    if limit is not None:
        out["limit"] = limit
    if offset is not None:
        out["offset"] = offset
    return out


def _list_organization_keys(ctx: Context, organization_id: str, user_id: str,
                            limit: int | None, offset: int | None) -> dict[str, Any]:
    """``organizationId`` asks for organization-owned keys, which authkit's single user-owned
    key configuration never mints: Better Auth's membership checks, then an empty list.

    Without the organization plugin Better Auth answers ORGANIZATION_PLUGIN_REQUIRED with a
    500; authkit gives the same code with a 400 (a request the server cannot serve is no
    server fault)."""
    auth = ctx.auth
    if not any(p.id == "organization" for p in auth.plugins):
        raise key_error(400, "ORGANIZATION_PLUGIN_REQUIRED")
    if len(organization_id) > _MAX_TEXT or auth.storage.find_row(
            "member", {"userId": user_id, "organizationId": organization_id}) is None:
        raise key_error(403, "USER_NOT_MEMBER_OF_ORGANIZATION")
    out: dict[str, Any] = {"apiKeys": [], "total": 0}
    if limit is not None:
        out["limit"] = limit
    if offset is not None:
        out["offset"] = offset
    return out


def verify(plugin: ApiKeyPlugin, ctx: Context) -> dict[str, Any]:
    """Server-only: ``{valid, error, key}``; never raises for a bad key."""
    body: VerifyBody = ctx.body
    auth = ctx.auth
    try:
        row = usage.check(plugin, auth, usage.find(plugin, auth, body.key), body.permissions)
        row = usage.claim(plugin, auth, row)
    except APIError as exc:
        return {"valid": False, "error": exc.body, "key": None}
    plugin.sweep_expired(auth)
    return {"valid": True, "error": None, "key": _read(plugin, ctx, row)}


def delete_all_expired(plugin: ApiKeyPlugin, ctx: Context) -> dict[str, Any]:
    """Server-only: delete every expired key now."""
    usage.delete_expired(ctx.auth)
    return {"success": True, "error": None}


def build(plugin: ApiKeyPlugin) -> list[Endpoint]:
    specs: list[tuple[str, str | None, str, Any, dict[str, Any], str]] = [
        ("create_api_key", "/api-key/create", "POST", create, {"body": CreateBody},
         "Create an API key"),
        ("get_api_key", "/api-key/get", "GET", get, {"query": GetQuery}, "Get an API key"),
        ("update_api_key", "/api-key/update", "POST", update, {"body": UpdateBody},
         "Update an API key"),
        ("delete_api_key", "/api-key/delete", "POST", delete, {"body": DeleteBody},
         "Delete an API key"),
        ("list_api_keys", "/api-key/list", "GET", list_keys, {"query": ListQuery},
         "List the caller's API keys"),
        ("verify_api_key", None, "POST", verify, {"body": VerifyBody},
         "Verify an API key (server only)"),
        ("delete_all_expired_api_keys", None, "POST", delete_all_expired, {},
         "Delete expired API keys (server only)"),
    ]
    return [endpoint(name, path, method, partial(handler, plugin), summary=summary,
                     plugin="api-key", **options)
            for name, path, method, handler, options, summary in specs]
