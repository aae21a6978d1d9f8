"""TokenKeeper: the service's current secret-store token, kept renewed on a background thread.

It follows go-mod-secrets: at start the token from the token file is checked with lookup-self; a
renewable periodic token is renewed every period/2, at once if its ttl is already below that. On
a 403 (security-secretstore-setup ran again and revoked the old token, or the token expired) the
file is read again: a different token replaces the old one and the call is retried once. The same
applies to every store call made through `call()`.

Unlike go-mod-secrets, a failed renewal is retried after `retry_s` rather than a whole interval
later: with period/2 ticks a single missed tick would otherwise let a periodic token expire.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, TypeVar

from service.edgex.secretstore.client import OpenBaoClient, TokenInfo
from service.edgex.secretstore.errors import (
    BadStoreResponse,
    StoreUnavailable,
    TokenFileError,
    TokenRejected,
)
from service.edgex.secretstore.token_file import read_token_file

logger = logging.getLogger(__name__)
T = TypeVar("T")


class Sleeper(Protocol):
    """How the renewal thread waits; tests pass a fake that advances on demand."""

    def wait(self, seconds: float) -> None:
        """Return after `seconds`, or earlier once `wake()` was called."""

    def wake(self) -> None:
        """Make the current and every later `wait` return at once (used by stop)."""


class EventSleeper:
    """The real Sleeper: a threading.Event that stop() sets."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def wait(self, seconds: float) -> None:
        self._event.wait(seconds)

    def wake(self) -> None:
        self._event.set()


class TokenKeeper:
    """Holds the current token (thread-safe), renews it, and recovers from a reissued token."""

    def __init__(
        self,
        client: OpenBaoClient,
        token_file: Path,
        *,
        sleeper: Sleeper | None = None,
        retry_s: float = 15.0,
    ) -> None:
        self._client = client
        self._path = token_file
        self._sleeper = sleeper or EventSleeper()
        self._retry_s = retry_s
        self._lock = threading.Lock()
        self._reload_lock = threading.Lock()
        self._token = ""
        self._info: TokenInfo | None = None
        self._renewals = 0
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def token(self) -> str:
        """The current token (never log it)."""
        with self._lock:
            return self._token

    @property
    def info(self) -> TokenInfo | None:
        """The last lookup-self of the current token (None before start)."""
        with self._lock:
            return self._info

    @property
    def renewals(self) -> int:
        """Successful renew-self calls so far."""
        with self._lock:
            return self._renewals

    def start(self) -> TokenInfo:
        """Read the token file, check the token, renew it now if due, then renew in the background.

        Raises TokenFileError, TokenRejected (naming the file), StoreSealed or StoreUnavailable.
        """
        loaded = read_token_file(self._path)
        try:
            info = self._client.lookup_self(loaded.token)
        except TokenRejected as exc:
            detail = f"the token in {self._path} was refused: {exc.message}"
            raise TokenRejected(exc.url, exc.status, detail) from exc
        with self._lock:
            self._token, self._info = loaded.token, info
        interval = self._interval_s()
        if interval <= 0:
            logger.warning("secret store token from %s is not renewable; it will not be renewed", self._path)
            return info
        if info.ttl_s <= interval:
            self._renew()
        self._thread = threading.Thread(target=self._run, name="secretstore-token-renewal", daemon=True)
        self._thread.start()
        logger.info(
            "secret store token from %s accepted by %s; renewing every %.0f s",
            self._path,
            self._client.url,
            interval,
        )
        return info

    def call(self, operation: Callable[[str], T]) -> T:
        """`operation(token)`; after a 403, re-read the token file and retry once with a new token."""
        used = self.token
        try:
            return operation(used)
        except TokenRejected:
            if not self._reload(used):
                raise
        return operation(self.token)

    def stop(self) -> None:
        """Stop renewing (returns promptly; the token stays usable until it expires)."""
        self._stopping.set()
        self._sleeper.wake()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    # renewal -----------------------------------------------------------------------------------
    def _interval_s(self) -> float:
        info = self.info
        if info is None or not info.renewable:
            return 0.0
        return info.period_s / 2

    def _renew(self) -> None:
        self.call(self._client.renew_self)
        with self._lock:
            self._renewals += 1

    def _run(self) -> None:
        delay = self._interval_s()
        while not self._stopping.is_set():
            self._sleeper.wait(delay)
            if self._stopping.is_set():
                return
            delay = self._renew_cycle()

    def _renew_cycle(self) -> float:
        """One renewal; returns how long to wait before the next one."""
        interval = self._interval_s()
        try:
            self._renew()
        except (TokenRejected, TokenFileError) as exc:
            logger.error("secret store token renewal refused, retrying in %.0f s: %s", self._retry_s, exc)
            return self._retry_s
        except (StoreUnavailable, BadStoreResponse) as exc:
            logger.warning("secret store token renewal failed, retrying in %.0f s: %s", self._retry_s, exc)
            return min(self._retry_s, interval) if interval > 0 else self._retry_s
        logger.debug("secret store token renewed")
        return self._interval_s() or self._retry_s

    def _reload(self, rejected: str) -> bool:
        """After a 403 with `rejected`: True when a different token is now current."""
        with self._reload_lock:
            if self.token != rejected:  # another thread already replaced it
                return True
            loaded = read_token_file(self._path)
            if loaded.token == rejected:
                logger.error("secret store refused the token and %s still holds the same one", self._path)
                return False
            info = self._client.lookup_self(loaded.token)
            with self._lock:
                self._token, self._info = loaded.token, info
        logger.info("secret store token replaced by the new one in %s", self._path)
        return True
