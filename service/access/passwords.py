"""Password hashing with argon2id (argon2-cffi's defaults, RFC 9106's second recommended profile)."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from service.access.errors import AccountError

MIN_PASSWORD_CHARS = 8
_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    """The argon2id hash of `password`; AccountError when it is too short."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"a password needs at least {MIN_PASSWORD_CHARS} characters")
    return _HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Whether `password` matches `stored_hash` (a damaged hash matches nothing)."""
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's."""
    try:
        return _HASHER.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return False


def generate_password() -> str:
    """A random password for the first account (about 120 bits)."""
    return secrets.token_urlsafe(15)


DUMMY_HASH = _HASHER.hash(generate_password())
"""Verified against when the user does not exist, so a wrong name costs as long as a wrong password."""
