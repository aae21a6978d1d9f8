"""Sliding windows of a zone or line: the peak of its occupancy, the dwell of visits that ended, and
the times of recent entries, exits and crossings (their rate).

Each keeps only what its window still needs, so the state stays small on disk: occupancy as
change points (the value in effect when the window starts, then every change after it), dwell as
(ended_s, dwell_s) samples, the newest MAX_DWELL_SAMPLES of them, recent events as their times, the
newest MAX_RECENT_TIMES of them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

import numpy as np

MAX_DWELL_SAMPLES = 1000
MAX_RECENT_TIMES = 10000


class PeakWindow:
    """Occupancy over time; peak(now) is the highest value in effect during (now - window_s, now]."""

    def __init__(self, window_s: float, changes: Iterable[tuple[float, int]] = ()) -> None:
        self._window_s = window_s
        self._changes: deque[tuple[float, int]] = deque(changes)

    @property
    def current(self) -> int:
        """The latest value (0 before any)."""
        return self._changes[-1][1] if self._changes else 0

    @property
    def changes(self) -> tuple[tuple[float, int], ...]:
        """(time_s, value) change points, oldest first: what to store."""
        return tuple(self._changes)

    def record(self, time_s: float, value: int) -> None:
        """Note the value at time_s (a change point only if it differs), then forget what has aged out."""
        if value != self.current:
            self._changes.append((time_s, value))
        start = time_s - self._window_s
        while len(self._changes) > 1 and self._changes[1][0] <= start:
            self._changes.popleft()

    def peak(self, now_s: float) -> int:
        """The highest value in effect during the last window_s seconds."""
        start = now_s - self._window_s
        in_effect, highest = 0, 0
        for time_s, value in self._changes:
            if time_s <= start:
                in_effect = value
            else:
                highest = max(highest, value)
        return max(in_effect, highest)


class DwellWindow:
    """Dwell times of ended visits; percentiles over those that ended in the last window_s seconds."""

    def __init__(self, window_s: float, samples: Iterable[tuple[float, float]] = ()) -> None:
        self._window_s = window_s
        self._samples: deque[tuple[float, float]] = deque(samples, maxlen=MAX_DWELL_SAMPLES)

    @property
    def samples(self) -> tuple[tuple[float, float], ...]:
        """(ended_s, dwell_s), oldest first: what to store."""
        return tuple(self._samples)

    def add(self, ended_s: float, dwell_s: float) -> None:
        """Record an ended visit, then forget those older than the window."""
        self._samples.append((ended_s, dwell_s))
        self.prune(ended_s)

    def prune(self, now_s: float) -> None:
        """Forget visits that ended before the window."""
        start = now_s - self._window_s
        while self._samples and self._samples[0][0] <= start:
            self._samples.popleft()

    def percentiles(self, now_s: float) -> tuple[int, float | None, float | None]:
        """(count, p50, p95) of the visits in the window (linear interpolation, as numpy.percentile)."""
        start = now_s - self._window_s
        dwell = [dwell_s for ended_s, dwell_s in self._samples if ended_s > start]
        if not dwell:
            return 0, None, None
        p50, p95 = np.percentile(np.array(dwell, np.float64), [50, 95])
        return len(dwell), float(p50), float(p95)


class RecentTimes:
    """Times of events; count(now) is how many happened during (now - window_s, now]."""

    def __init__(self, window_s: float, times: Iterable[float] = ()) -> None:
        self._window_s = window_s
        self._times: deque[float] = deque(times, maxlen=MAX_RECENT_TIMES)

    @property
    def times(self) -> tuple[float, ...]:
        """Event times, oldest first: what to store."""
        return tuple(self._times)

    def add(self, time_s: float) -> None:
        """Record an event, then forget those older than the window."""
        self._times.append(time_s)
        self.prune(time_s)

    def prune(self, now_s: float) -> None:
        """Forget events before the window."""
        start = now_s - self._window_s
        while self._times and self._times[0] <= start:
            self._times.popleft()

    def count(self, now_s: float) -> int:
        """Events in the window ending now."""
        start = now_s - self._window_s
        return sum(1 for time_s in self._times if time_s > start)
