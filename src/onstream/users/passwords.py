"""Password hashing with argon2id.

Parameters are one of OWASP's recommended configurations for argon2id (12 MiB of memory,
3 iterations, 1 lane; equivalent in strength to its 19 MiB / 2 iterations): about 25 ms of
CPU per hash here, and the least memory per check in flight. argon2-cffi's defaults (64 MiB,
3 iterations, 4 lanes) cost about 190 ms and 64 MiB per concurrent check, which lets a few
logins a second use up a small server. Hashes carry their parameters, so hashes made with
other parameters keep verifying. Callers on the event loop run these in a thread (see
`users.authentication`).
"""

from __future__ import annotations

import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher(time_cost=3, memory_cost=12_288, parallelism=1)


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the login does not exist, so a wrong login costs as much time as
    a wrong password and response times do not reveal which logins exist. Made on first use,
    not at import: every process imports this module, few meet an unknown login."""
    return _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """An argon2id hash string of the password, salt and parameters included."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether the password matches; a missing hash burns the same time and says no."""
    try:
        return (
            _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    """A random password for demo and operator-created accounts (about 96 bits)."""
    return secrets.token_urlsafe(12)
