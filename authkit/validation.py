"""Request validation that answers with Better Auth's (zod v4) error messages.

Endpoint bodies and queries are pydantic models deriving from :class:`Body`; :func:`validate`
runs one and turns its failures into the wire error Better Auth 1.7.25 sends::

    400 {"message": "[body.email] Invalid email address", "code": "VALIDATION_ERROR"}

The message is ``[<body|query>.<dotted.path>] <zod message>``, several issues joined by
``"; "`` in schema order (docs/wire-compatibility.md#request-bodies,
docs/wire-compatibility.md#corrections item 9). pydantic decides *what* failed (a type, a
length, a check); the zod wording is rebuilt from the field's annotation, so models are written
with plain types: ``str``, ``bool``, ``float``, ``list[str]``, ``dict[str, Any]``, ``Literal``,
nested ``Body`` models, plus :data:`Email`, :data:`CoercedStr` and :data:`CoercedBool`.

Deliberate differences from Better Auth, for the database's sake
(docs/security.md#input-validation): a NUL character
or an unpaired surrogate anywhere in the input (values, keys, unknown keys) is refused with
``Invalid input: contains a NUL character`` / ``Invalid input: contains an unpaired surrogate``,
and ``NaN``, ``Infinity``, ``1e999`` and oversized integers make the JSON itself invalid.
"""

from __future__ import annotations

import enum
import json
import math
import re
import types
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Final, Literal, TypeVar, Union, get_args, get_origin
from urllib.parse import parse_qsl

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationError,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails, PydanticCustomError

from .errors import APIError
from .js import number_to_string, refuse_constant, truthy
from .models import MASK, is_credential_name

__all__ = [
    "MISSING",
    "Body",
    "CoercedBool",
    "CoercedStr",
    "Email",
    "Message",
    "coerce_bool",
    "is_valid_email",
    "js_string",
    "parse_form_body",
    "parse_json_body",
    "validate",
]

M = TypeVar("M", bound=BaseModel)


class _Sentinel:
    """A named singleton; falsy, like the JavaScript value it stands for."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name

    def __bool__(self) -> bool:
        return False


_MASKED: Final[Any] = _Sentinel(MASK)

#: "undefined": no body at all, or an absent value.
MISSING: Final[Any] = _Sentinel("MISSING")
# An explicit JSON null on a field that does not take one. zod's ``.optional()`` accepts only
# undefined, so ``image: str | None = None`` must still refuse ``{"image": null}``; swapping the
# None for this marker makes pydantic report the inner type's error.
_NULL: Final[Any] = _Sentinel("null")

# zod v4.6's `z.email()` pattern (zod/v4/core/regexes.js, "Practical email validation"): ASCII
# only, no quoted local parts, no IP literals. Matched with fullmatch: Python's `$` would also
# accept a trailing newline, which zod refuses.
_EMAIL_RE: Final = re.compile(
    r"(?:[A-Za-z0-9_'+\-]+\.)*[A-Za-z0-9_'+\-]*[A-Za-z0-9_+-]"
    r"@(?:[A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z]{2,}",
    re.ASCII,
)
# PostgreSQL refuses NUL in text and a lone surrogate cannot be encoded to UTF-8: both would
# surface as a 500 far from the request (docs/security.md#input-validation).
_BAD_CHAR_RE: Final = re.compile("[\x00\ud800-\udfff]")
_NUL_MESSAGE: Final = "Invalid input: contains a NUL character"
_SURROGATE_MESSAGE: Final = "Invalid input: contains an unpaired surrogate"
# CPython's own limit on int() from text (sys.int_info.default_max_str_digits), applied even
# where an application has raised it: longer numbers cost quadratic time to convert
# (docs/security.md#input-validation).
_MAX_INT_DIGITS: Final = 4300


def is_valid_email(value: str) -> bool:
    """Whether ``value`` passes zod's ``z.email()`` (for handlers that check it themselves)."""
    return isinstance(value, str) and _EMAIL_RE.fullmatch(value) is not None


def _check_email(value: str) -> str:
    if _EMAIL_RE.fullmatch(value) is None:
        raise PydanticCustomError("zod_check", "Invalid email address")
    return value


def js_string(value: Any) -> str:
    """JavaScript's ``String(value)`` for JSON values: what ``z.coerce.string()`` yields."""
    if isinstance(value, str):
        return value
    if value is True or value is False:
        return "true" if value else "false"
    if value is None or value is _NULL:
        return "null"
    if value is MISSING:
        return "undefined"
    if isinstance(value, int):
        # JSON numbers are doubles in JavaScript: a long integer loses digits there too.
        if abs(value) <= 2**53:
            return str(value)
        try:
            return number_to_string(float(value))
        except OverflowError:
            return "Infinity" if value > 0 else "-Infinity"
    if isinstance(value, float):
        return number_to_string(value)
    if isinstance(value, list | tuple):
        return ",".join("" if item is None or item is _NULL else js_string(item) for item in value)
    if isinstance(value, Mapping):
        return "[object Object]"
    return str(value)


def coerce_bool(value: Any) -> bool:
    """JavaScript's ``Boolean(value)``: ``z.coerce.boolean()``. Any non-empty string is true,
    ``"false"`` included (get-session's query flags, docs/wire-compatibility.md#get-session)."""
    if value is None or value is MISSING or value is _NULL:
        return False
    return truthy(value)


class _Coerced:
    """Marks a coercing type: zod calls a missing required one ``expected nonoptional``."""


_COERCED: Final = _Coerced()

#: ``z.email()``: a string matching zod's email pattern, else ``Invalid email address``.
Email = Annotated[str, AfterValidator(_check_email)]
#: ``z.coerce.string()``: ``String(value)`` of whatever came (``5`` → ``"5"``, null → ``"null"``).
CoercedStr = Annotated[str, BeforeValidator(js_string), _COERCED]
#: ``z.coerce.boolean()``: ``Boolean(value)``, see :func:`coerce_bool`.
CoercedBool = Annotated[bool, BeforeValidator(coerce_bool), _COERCED]


class Message:
    """A check's own message, like zod's ``.nonempty("newPassword cannot be empty")``.

    ``Annotated[str, Field(min_length=1), Message("newPassword cannot be empty")]`` replaces
    the wording of a failed length, range, pattern or format check; a wrong type keeps
    zod's ``Invalid input: expected …``.
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"Message({self.text!r})"


class Body(BaseModel):
    """Base of every request body and query model.

    Strict types: ``"false"`` is not a bool and ``12345678`` is not a string
    (docs/security.md#input-validation). Unknown
    keys are kept in ``model_extra`` (Better Auth's schemas let them through; endpoints read
    additional fields from there). ``schema_types`` names what the top-level zod schema says
    it expected when the input is not an object: ``("object",)`` for ``z.object``,
    ``("record",)`` for ``z.record`` (update-user), ``("object", "record")`` for sign-up's
    ``z.object(...).and(z.record(...))``, which reports both.
    """

    model_config = ConfigDict(strict=True, extra="allow", allow_inf_nan=False)

    schema_types: ClassVar[tuple[str, ...]] = ("object",)

    def __repr_args__(self) -> Any:
        # Passwords, tokens and OTPs in a body never print (a logged ctx.body leaks nothing).
        for name, value in super().__repr_args__():
            if name is not None and value is not None and is_credential_name(name):
                yield name, _MASKED
            else:
                yield name, value

    @model_validator(mode="before")
    @classmethod
    def _refuse_null(cls, data: Any) -> Any:
        if not isinstance(data, dict) or None not in data.values():
            return data
        refusing = _null_refusing_keys(cls)
        return {k: _NULL if v is None and k in refusing else v for k, v in data.items()}


def _null_refusing_keys(model: type[BaseModel]) -> frozenset[str]:
    keys: set[str] = set()
    for name, info in model.model_fields.items():
        tp, _ = _unwrap(info.annotation, [])
        if tp is not Any and tp is not object:
            keys.add(info.alias or name)
    return frozenset(keys)


# -- from pydantic's errors to zod's wording ---------------------------------------------------

_UNION = object()  # what the walk reports when it reaches a union (zod says "Invalid input")


def _unwrap(tp: Any, meta: list[Any]) -> tuple[Any, list[Any]]:
    """Strip ``Annotated`` (collecting its metadata) and ``| None``; a real union → _UNION."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            base, *extra = get_args(tp)
            for item in extra:
                meta.extend(item.metadata if isinstance(item, FieldInfo) else [item])
            tp = base
        elif origin is Union or origin is types.UnionType:
            members = [a for a in get_args(tp) if a is not type(None)]
            if len(members) != 1:
                return _UNION, meta
            tp = members[0]
        else:
            return tp, meta


def _walk(model: type[BaseModel], loc: tuple[str | int, ...]) -> tuple[list[str | int], Any,
                                                                        list[Any]]:
    """Follow an error location through the model: (zod path, annotation there, metadata)."""
    path: list[str | int] = []
    tp: Any = model
    meta: list[Any] = []
    for part in loc:
        tp, meta = _unwrap(tp, meta)
        if tp is _UNION:
            return path, _UNION, meta  # the members' own errors collapse into one
        origin = get_origin(tp) or tp
        if isinstance(origin, type) and issubclass(origin, BaseModel):
            info = _field(origin, part)
            if info is None:
                return [*path, part], Any, []
            tp, meta = info.annotation, list(info.metadata)
        elif origin in (list, tuple, set, frozenset):
            args = get_args(tp)
            tp, meta = (args[0] if args else Any), []
        elif origin is dict or origin is Mapping:
            if part == "[key]":
                continue
            args = get_args(tp)
            tp, meta = (args[1] if len(args) == 2 else Any), []
        else:
            tp, meta = Any, []
        path.append(part)
    tp, meta = _unwrap(tp, meta)
    return path, tp, meta


def _field(model: type[BaseModel], key: str | int) -> FieldInfo | None:
    for name, info in model.model_fields.items():
        if key == (info.alias or name):
            return info
    return None


def _type_name(tp: Any, received: Any) -> str:
    """zod's name for the expected type."""
    origin = get_origin(tp) or tp
    if not isinstance(origin, type):
        return "unknown"
    if issubclass(origin, str):
        return "string"
    if issubclass(origin, bool):
        return "boolean"
    if issubclass(origin, int):
        # z.int() says "int" for a number that is not whole, "number" for any other input.
        number = isinstance(received, int | float) and not isinstance(received, bool)
        return "int" if number else "number"
    if issubclass(origin, float):
        return "number"
    if issubclass(origin, list | tuple | set | frozenset):
        return "array"
    if issubclass(origin, BaseModel):
        return "object"
    if issubclass(origin, Mapping):
        return "record"
    return origin.__name__


def _parsed_type(value: Any) -> str:
    """zod's name for what was received (``util.parsedType`` + the English locale)."""
    if value is MISSING:
        return "undefined"
    if value is None or value is _NULL:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        try:
            float(value)
        except OverflowError:  # past the double range JavaScript reads Infinity
            return "Infinity" if value > 0 else "-Infinity"
        return "number"
    if isinstance(value, float):
        return "number" if math.isfinite(value) else number_to_string(value)
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def _options(tp: Any) -> list[Any] | None:
    if get_origin(tp) is Literal:
        return list(get_args(tp))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return [member.value for member in tp]
    return None


def _option_message(values: list[Any]) -> str:
    shown = [f'"{v}"' if isinstance(v, str) else js_string(v) for v in values]
    if len(shown) == 1:
        return f"Invalid input: expected {shown[0]}"
    return f"Invalid option: expected one of {'|'.join(shown)}"


_BOUNDS: Final = {
    "greater_than_equal": ("Too small", ">=", "ge"),
    "greater_than": ("Too small", ">", "gt"),
    "less_than_equal": ("Too big", "<=", "le"),
    "less_than": ("Too big", "<", "lt"),
}


def _check_message(kind: str, ctx: Mapping[str, Any], tp_name: str) -> str | None:
    """Length, range and pattern checks, in zod's words."""
    unit = "characters" if tp_name == "string" else "items"
    if kind in ("string_too_short", "too_short"):
        return f"Too small: expected {tp_name} to have >={ctx['min_length']} {unit}"
    if kind in ("string_too_long", "too_long"):
        return f"Too big: expected {tp_name} to have <={ctx['max_length']} {unit}"
    if kind in _BOUNDS:
        head, op, key = _BOUNDS[kind]
        return f"{head}: expected number to be {op}{js_string(ctx[key])}"
    if kind == "string_pattern_mismatch":
        return f"Invalid string: must match pattern /{ctx['pattern']}/"
    return None


def _issue(model: type[BaseModel], error: ErrorDetails) -> tuple[list[str | int], str]:
    kind = error["type"]
    path, tp, meta = _walk(model, error["loc"])
    if kind == "zod":  # a model's own PydanticCustomError("zod", ...), worded by its author
        return path, error["msg"]
    if tp is _UNION:
        return path, "Invalid input"
    received = error.get("input")
    options = _options(tp)
    coerced = any(isinstance(m, _Coerced) for m in meta)
    if kind == "missing":
        if options is not None:
            return path, _option_message(options)
        if coerced or tp is Any or tp is object:
            return path, "Invalid input: expected nonoptional, received undefined"
        return path, f"Invalid input: expected {_type_name(tp, MISSING)}, received undefined"
    if options is not None and kind in ("literal_error", "enum", "enum_type"):
        return path, _option_message(options)
    if kind.endswith("_type") or kind in ("finite_number", "int_from_float"):
        expected = _type_name(tp, received)
        return path, f"Invalid input: expected {expected}, received {_parsed_type(received)}"
    own = next((m.text for m in meta if isinstance(m, Message)), None)
    if kind == "zod_check":
        return path, own or error["msg"]
    check = _check_message(kind, error.get("ctx") or {}, _type_name(tp, received))
    if check is not None:
        return path, own or check
    return path, "Invalid input"


# -- characters no database takes ------------------------------------------------------------

def _bad_chars(data: Any) -> list[tuple[list[str | int], str]]:
    """Every string (key or value) holding NUL or a lone surrogate; iterative, as JSON may
    nest as deep as the parser allowed."""
    found: list[tuple[list[str | int], str]] = []
    stack: list[tuple[list[str | int], Any]] = [([], data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            _note_bad(found, path, value)
        elif isinstance(value, Mapping):
            for key, item in reversed(list(value.items())):
                key_path: list[str | int] = [*path, key]
                if isinstance(key, str) and _note_bad(found, key_path, key):
                    continue
                stack.append((key_path, item))
        elif isinstance(value, list | tuple):
            stack.extend(([*path, i], item) for i, item in reversed(list(enumerate(value))))
    return found


def _note_bad(found: list[tuple[list[str | int], str]], path: list[str | int], text: str) -> bool:
    if text.isascii() and "\x00" not in text:
        return False
    match = _BAD_CHAR_RE.search(text)
    if match is None:
        return False
    found.append((path, _NUL_MESSAGE if match.group() == "\x00" else _SURROGATE_MESSAGE))
    return True


def _render_path(location: str, path: list[str | int]) -> str:
    if not path:
        return location
    # A key may itself hold the bad character; the message must stay printable and encodable.
    parts = (_BAD_CHAR_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", str(p)) for p in path)
    return location + "." + ".".join(parts)


def _covered(path: list[str | int], issues: list[tuple[list[str | int], str]]) -> bool:
    return any(path[: len(p)] == p for p, _ in issues)


def validate(model: type[M], data: Any, location: Literal["body", "query"]) -> M:
    """Validate parsed input (:data:`MISSING` for no body) against ``model``.

    Raises ``APIError(400, "VALIDATION_ERROR", "[body.email] Invalid email address")`` with
    every issue, in schema order, joined by ``"; "``.
    """
    issues: list[tuple[list[str | int], str]] = []
    instance: M | None = None
    if not isinstance(data, Mapping):
        received = _parsed_type(data)
        kinds = getattr(model, "schema_types", ("object",))
        issues = [([], f"Invalid input: expected {kind}, received {received}") for kind in kinds]
    else:
        data = dict(data)
        try:
            instance = model.model_validate(data)
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                if error["type"] == "string_unicode":
                    continue  # a lone surrogate in a key: the scan below words it
                issue = _issue(model, error)
                if issue not in issues:
                    issues.append(issue)
        issues.extend(bad for bad in _bad_chars(data) if not _covered(bad[0], issues))
    if issues:
        message = "; ".join(f"[{_render_path(location, p)}] {text}" for p, text in issues)
        raise APIError(400, "VALIDATION_ERROR", message)
    assert instance is not None
    return instance


# -- body parsers ------------------------------------------------------------------------------

def _js_float(text: str) -> float | int:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number out of range")
    # JavaScript has one number type: 1.0 is the integer 1 (z.int() takes it).
    return int(value) if value.is_integer() else value


def _bounded_int(text: str) -> int:
    if len(text) - text.startswith("-") > _MAX_INT_DIGITS:
        raise ValueError("integer too long")
    return int(text)


def parse_json_body(raw: bytes) -> Any:
    """Parse a JSON request body like ``request.json()``; no bytes → :data:`MISSING`.

    Duplicate keys: the last wins (``JSON.parse``). A leading BOM is dropped (``TextDecoder``).
    Malformed JSON, invalid UTF-8, nesting deep enough to exhaust the stack, integers over
    4300 digits and ``NaN``/``Infinity``/``1e999`` all give
    ``400 BAD_REQUEST "Invalid JSON in request body"`` (docs/security.md#input-validation), never
    a 500.
    """
    if not raw:
        return MISSING
    try:
        text = raw.decode("utf-8")
        text = text.removeprefix("\ufeff")
        return json.loads(text, parse_constant=refuse_constant, parse_float=_js_float,
                          parse_int=_bounded_int)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError included
        raise APIError(400, "BAD_REQUEST", "Invalid JSON in request body") from None


def parse_form_body(raw: bytes) -> dict[str, str]:
    """Parse ``application/x-www-form-urlencoded``; a repeated key: the last wins
    (docs/security.md#input-validation),
    as Better Auth copies ``formData`` into an object.

    Values stay strings (``rememberMe=false`` is then refused by a bool field, as upstream).
    Bytes that are not UTF-8, raw or percent-encoded, give 400 ``BAD_REQUEST`` instead of
    the browser parser's silent U+FFFD, so a password is never altered on the way in.
    """
    try:
        text = raw.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except ValueError:
        raise APIError(400, "BAD_REQUEST", "Invalid form data in request body") from None
    return dict(pairs)
