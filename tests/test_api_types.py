"""The typed ``auth.api`` stub (authkit/api_types.pyi) is current: a fresh generation from the
registry of an AuthKit with every bundled plugin gives the checked-in text."""

from __future__ import annotations

from authkit.api_stub import STUB, full_auth, render


def test_the_checked_in_stub_is_current() -> None:
    auth = full_auth()
    try:
        fresh = render(auth)
    finally:
        auth.storage.engine.dispose()
    assert STUB.read_text(encoding="utf-8") == fresh, (
        "auth.api's endpoints changed: run `python -m authkit.api_stub` and commit "
        "authkit/api_types.pyi")


def test_every_endpoint_has_a_typed_method() -> None:
    auth = full_auth()
    try:
        text = STUB.read_text(encoding="utf-8")
        missing = [name for name in auth.registry.names() if f"    def {name}(" not in text]
    finally:
        auth.storage.engine.dispose()
    assert missing == []
