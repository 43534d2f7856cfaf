"""An ``authkit serve --app`` target: the server the ``AUTHKIT_*`` environment describes, with
a cheap scrypt.

For tests that sign up hundreds of users through a real server: at Better Auth's scrypt cost
(about 90 ms a hash) the server spends nearly all its time hashing, so the writes a crash
test wants to interrupt fill only a sliver of each request and a kill seldom lands on one.
"""

from __future__ import annotations

from authkit import AuthKit
from authkit.passwords import ScryptHasher
from authkit.settings import from_env

# Not tests.support.fixtures.FastScrypt: importing that module pulls pytest and webtest into
# the server process. Same cost, same stored format.
CHEAP_SCRYPT = {"n": 1024, "r": 8, "p": 1}

APP = "tests.support.cheap_hash_app:auth"  # what to pass to `authkit serve --app`


def auth() -> AuthKit:
    """``AuthKit(**from_env())`` hashing with Better Auth's scrypt format at a low cost."""
    options = from_env()
    options["email_and_password"] = {**options["email_and_password"],
                                     "password_hasher": ScryptHasher(**CHEAP_SCRYPT)}
    return AuthKit(**options)
