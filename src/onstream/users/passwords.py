"""Password hashing with argon2id (argon2-cffi's recommended parameters).

Hashing and verifying cost tens of milliseconds of CPU on purpose; callers on the event loop
run them in a worker thread (see `protocol.auth`).
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

# Verified against when the login does not exist, so a wrong login costs as much time as a
# wrong password and response times do not reveal which logins exist.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """An argon2id hash string of the password, salt and parameters included."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether the password matches; a missing hash burns the same time and says no."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    """A random password for demo and operator-created accounts (about 96 bits)."""
    return secrets.token_urlsafe(12)
