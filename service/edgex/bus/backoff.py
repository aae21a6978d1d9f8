"""Exponential reconnect backoff with jitter, for the bus clients that reconnect themselves."""

from __future__ import annotations

import random


class Backoff:
    """Delays min_s, 2*min_s, ... capped at max_s, each with up to 20 % jitter; `reset()` on success."""

    def __init__(self, min_s: float, max_s: float) -> None:
        self._min_s = min_s
        self._max_s = max(min_s, max_s)
        self._next_s = min_s

    def next_delay(self) -> float:
        delay = self._next_s
        self._next_s = min(self._next_s * 2, self._max_s)
        return delay * (1 + random.uniform(0, 0.2))  # jitter, not cryptography

    def reset(self) -> None:
        self._next_s = self._min_s
