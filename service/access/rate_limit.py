"""Failed logins per client address within a sliding window; beyond the limit, logins wait."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

MAX_ADDRESSES = 10_000
"""Addresses remembered at most (the least recently failed are forgotten first): bounded memory."""


class LoginRateLimit:
    """`check` before verifying a password, `failed` after a wrong one, `succeeded` after a right one."""

    def __init__(self, attempts: int, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._attempts = attempts
        self._window_s = window_s
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after_s(self, address: str) -> float:
        """0 when `address` may try now, else the seconds until it may."""
        now = self._clock()
        with self._lock:
            failures = self._recent(address, now)
            if len(failures) < self._attempts:
                return 0.0
            return max(0.0, failures[0] + self._window_s - now)

    def failed(self, address: str) -> None:
        now = self._clock()
        with self._lock:
            failures = self._recent(address, now)
            failures.append(now)
            self._failures[address] = failures
            self._failures.move_to_end(address)
            while len(self._failures) > MAX_ADDRESSES:
                self._failures.popitem(last=False)

    def succeeded(self, address: str) -> None:
        with self._lock:
            self._failures.pop(address, None)

    def _recent(self, address: str, now: float) -> deque[float]:
        failures = self._failures.get(address, deque())
        while failures and failures[0] <= now - self._window_s:
            failures.popleft()
        return failures
