"""AccessControl: logins (rate-limited), page sessions, API tokens, and the first account.

    login(user, password, address) -> session token     LoginRefused | LoginRateLimited
    user_of_session(token) / user_of_token(token)     -> user name or None
    create_token / tokens / revoke_token              a logged-in user's API tokens

Session tokens and API tokens are random (256 bits); API tokens start with `avt_` so a script's
`Authorization: Bearer avt_...` is told apart from an EdgeX JWT at a glance.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from service.access.errors import AccountError, LoginRateLimited, LoginRefused, UnknownToken
from service.access.passwords import (
    DUMMY_HASH,
    generate_password,
    hash_password,
    needs_rehash,
    verify_password,
)
from service.access.rate_limit import LoginRateLimit
from service.access.settings import AccessSettings
from service.access.store import AccessStore, TokenRecord

TOKEN_PREFIX = "avt_"
CONCURRENT_VERIFIES = 2
"""argon2id takes 64 MiB and ~150 ms per check here: logins from many addresses at once queue."""
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@-")


@dataclass(frozen=True, slots=True)
class NewToken:
    """A token just made: `token` is shown once and never again."""

    record: TokenRecord
    token: str


def check_user_name(user: str) -> str:
    """`user` if it is 1-64 letters, digits or . _ @ -; else AccountError."""
    if not 1 <= len(user) <= 64 or not set(user) <= _NAME_CHARS:
        raise AccountError(f"user name {user!r}: use 1-64 letters, digits or . _ @ -")
    return user


class AccessControl:
    """The accounts, sessions and tokens of one access file."""

    def __init__(
        self, settings: AccessSettings, store: AccessStore, clock: Callable[[], float] = time.time
    ) -> None:
        self.settings = settings
        self._store = store
        self._clock = clock
        self._limit = LoginRateLimit(settings.LoginAttempts, settings.LoginWindowS)
        self._verifying = threading.BoundedSemaphore(CONCURRENT_VERIFIES)

    def close(self) -> None:
        self._store.close()

    def set_password(self, user: str, password: str) -> bool:
        """Add `user` or change its password (ending its sessions); True when the user is new."""
        return self._store.set_user(check_user_name(user), hash_password(password), self._clock())

    def ensure_first_user(self) -> str | None:
        """With no account yet, make FirstUser with a random password and return it (to print once)."""
        if self._store.user_count() > 0:
            return None
        password = generate_password()
        self.set_password(self.settings.FirstUser, password)
        return password

    def login(self, user: str, password: str, address: str) -> str:
        """A new session token for a right password; LoginRateLimited before any check when the
        address failed too often, LoginRefused for a wrong name or password."""
        wait_s = self._limit.retry_after_s(address)
        if wait_s > 0:
            raise LoginRateLimited(wait_s)
        stored = self._store.password_hash(user)
        with self._verifying:
            matches = verify_password(stored or DUMMY_HASH, password)
        if not matches or stored is None:
            self._limit.failed(address)
            raise LoginRefused("wrong user name or password")
        self._limit.succeeded(address)
        if needs_rehash(stored):
            self._store.set_user(user, hash_password(password), self._clock())
        session = secrets.token_urlsafe(32)
        now = self._clock()
        self._store.add_session(session, user, now, now + self.settings.SessionTtlS)
        return session

    def logout(self, session: str) -> None:
        self._store.end_session(session)

    def user_of_session(self, session: str) -> str | None:
        return self._store.session_user(session, self._clock()) if session else None

    def user_of_token(self, token: str) -> str | None:
        if not token.startswith(TOKEN_PREFIX):
            return None
        return self._store.token_user(token, self._clock())

    def create_token(self, user: str, name: str) -> NewToken:
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        record = TokenRecord(secrets.token_hex(8), user, name, token[:10], self._clock(), None)
        self._store.add_token(record, token)
        return NewToken(record, token)

    def tokens(self, user: str) -> list[TokenRecord]:
        return self._store.tokens(user)

    def revoke_token(self, user: str, token_id: str) -> None:
        if not self._store.revoke_token(user, token_id):
            raise UnknownToken(f"no API token {token_id} of user {user}")
