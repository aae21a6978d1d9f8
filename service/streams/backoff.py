"""Capped exponential reconnect backoff with jitter, reset after a stable online period."""

from __future__ import annotations

import random
import time
from collections.abc import Callable


class Backoff:
    """Delays initial, 2x, 4x ... capped at max_s, each scaled by a jitter in [0.5, 1).

    The jitter keeps cameras that failed together (a switch reboot) from reconnecting in step. After
    `online()`, staying up for stable_s resets the doubling; a camera that flaps keeps backing off.
    """

    def __init__(
        self,
        initial_s: float,
        max_s: float,
        stable_s: float,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        if not 0 < initial_s <= max_s:
            raise ValueError("backoff needs 0 < initial_s <= max_s")
        self._initial_s = initial_s
        self._max_s = max_s
        self._stable_s = stable_s
        self._clock = clock
        self._jitter = jitter
        self._attempts = 0
        self._online_at: float | None = None

    @property
    def attempts(self) -> int:
        """Failures since the last reset."""
        return self._attempts

    def online(self) -> None:
        """The stream is up again; the doubling resets once it has stayed up for stable_s."""
        self._online_at = self._clock()

    def next_delay_s(self) -> float:
        """The wait before the next attempt, after a failure."""
        if self._online_at is not None and self._clock() - self._online_at >= self._stable_s:
            self._attempts = 0
        self._online_at = None
        base_s = min(self._max_s, self._initial_s * 2.0 ** min(self._attempts, 60))
        self._attempts += 1
        return base_s * (0.5 + 0.5 * self._jitter())
