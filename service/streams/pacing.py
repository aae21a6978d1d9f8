"""Rates: which frames go out at DetectFps (RateSelector), and replaying a file at its own speed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from fractions import Fraction

# A timestamp this far from the last one is a new timeline (file loop, reconnect, camera clock jump).
_JUMP_S = 5.0


def to_seconds(ts: int | None, time_base: Fraction | None) -> float | None:
    """A stream timestamp in seconds (None when either part is missing)."""
    return None if ts is None or time_base is None else float(ts * time_base)


class RateSelector:
    """Says which timestamps are due at fps. Each pick advances the due time by exactly 1/fps, so
    the long-run rate never exceeds fps whatever the input rate; a quarter interval of slack keeps
    jittery arrival times from skipping a frame that is only just early."""

    def __init__(self, fps: float) -> None:
        self._interval_s = 1.0 / fps
        self._slack_s = self._interval_s / 4
        self._next_s: float | None = None
        self._last_s: float | None = None

    def reset(self) -> None:
        """Forget the timeline: the next timestamp is due."""
        self._next_s = self._last_s = None

    def due(self, t_s: float | None) -> bool:
        """Whether a frame at t_s goes out (None: only when the timeline is fresh)."""
        if t_s is None:
            return self._next_s is None
        last_s, self._last_s = self._last_s, t_s
        if last_s is not None and not (last_s - self._interval_s <= t_s <= last_s + _JUMP_S):
            self._next_s = None
        if self._next_s is not None and t_s + self._slack_s < self._next_s:
            return False
        if self._next_s is None or t_s - self._next_s > self._interval_s:
            self._next_s = t_s  # first pick, or the input fell behind: re-anchor
        self._next_s += self._interval_s
        return True


class RealtimePacer:
    """Sleeps so that packets of a file leave at the pace of their timestamps, as a camera sends.
    The wait ends early when `stop` is set."""

    def __init__(self, stop: threading.Event, clock: Callable[[], float] = time.monotonic) -> None:
        self._stop = stop
        self._clock = clock
        self._anchor: tuple[float, float] | None = None  # (clock, timestamp)

    def reset(self) -> None:
        self._anchor = None

    def wait(self, t_s: float | None) -> None:
        """Block until the stream time t_s is due."""
        if t_s is None:
            return
        now = self._clock()
        if self._anchor is None or not (
            self._anchor[1] <= t_s <= self._anchor[1] + (now - self._anchor[0]) + _JUMP_S
        ):
            self._anchor = (now, t_s)
            return
        delay_s = self._anchor[0] + (t_s - self._anchor[1]) - now
        if delay_s > 0:
            self._stop.wait(delay_s)
