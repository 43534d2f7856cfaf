"""Every exception class authkit defines derives from ``AuthError`` and is drawn in the tree
of ``authkit.errors``' docstring."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import authkit
from authkit import errors
from authkit.errors import AuthError


def _exception_classes() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(authkit.__path__, "authkit."):
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if (inspect.isclass(obj) and issubclass(obj, Exception)
                    and not issubclass(obj, Warning) and obj.__module__ == module.__name__):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return found


def test_every_exception_derives_from_the_root() -> None:
    classes = _exception_classes()
    assert len(classes) > 10
    assert sorted(name for name, cls in classes.items() if not issubclass(cls, AuthError)) == []


def _drawn(cls: type[BaseException], tokens: set[str]) -> bool:
    # Core classes are drawn by name, others by a dotted path (``storage.DuplicateError``,
    # ``plugins.jwt.jws.InvalidToken``) whose parts lie on the class's module path.
    module_parts = cls.__module__.split(".")
    for token in tokens:
        *path, last = token.split(".")
        if last == cls.__qualname__ and all(part in module_parts for part in path) and (
                path or cls.__module__ == "authkit.errors"):
            return True
    return False


def test_the_docstring_tree_lists_every_exception() -> None:
    tokens = set(re.findall(r"[A-Za-z_][\w.]*", errors.__doc__ or ""))
    missing = [name for name, cls in _exception_classes().items() if not _drawn(cls, tokens)]
    assert missing == []
