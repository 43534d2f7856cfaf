"""An ``authkit serve --app`` target: the server the ``AUTHKIT_*`` environment describes, with
a cheap scrypt, and account deletion confirmed by email when mail is configured.

For tests that sign up hundreds of users through a real server: at Better Auth's scrypt cost
(about 90 ms a hash) the server spends nearly all its time hashing, so the writes a crash
test wants to interrupt fill only a sliver of each request and a kill seldom lands on one.

`authkit serve` wires the reset, verification and change-email mails from the environment but
not ``send_delete_account_verification``; this app adds it from the same senders
(``AUTHKIT_EMAIL_OUTBOX`` writes ``delete-account`` lines), so with ``AUTHKIT_DELETE_USER=on``
``POST /delete-user`` mails a token for ``GET /delete-user/callback`` instead of deleting.
"""

from __future__ import annotations

import os

from authkit import AuthKit
from authkit.mail.env import callbacks_from_env
from authkit.passwords import ScryptHasher
from authkit.settings import from_env

# Not tests.support.fixtures.FastScrypt: importing that module pulls pytest and webtest into
# the server process. Same cost, same stored format.
CHEAP_SCRYPT = {"n": 1024, "r": 8, "p": 1}

APP = "tests.support.cheap_hash_app:auth"  # what to pass to `authkit serve --app`


def auth() -> AuthKit:
    """``AuthKit(**from_env())`` hashing with Better Auth's scrypt format at a low cost, with
    the delete-account verification mail of ``callbacks_from_env`` when mail is on."""
    options = from_env()
    options["email_and_password"] = {**options["email_and_password"],
                                     "password_hasher": ScryptHasher(**CHEAP_SCRYPT)}
    send_delete = callbacks_from_env(os.environ).get("send_delete_account_verification")
    if send_delete is not None:
        options["user"] = {**options.get("user", {}),
                           "send_delete_account_verification": send_delete}
    return AuthKit(**options)
