"""Interrupting a reader thread blocked inside FFmpeg (open, network read) when it is stopped.

PyAV 18 has no public interrupt callback. Its own one, installed on every input container opened
with a timeout, returns "interrupt" once `av.container.core`'s `time.monotonic()` passes the
call's start plus its timeout, and FFmpeg asks it about every 100 ms while it waits on a socket.
`install()` gives that module a clock that jumps a day ahead on a thread whose stop event is set,
so a blocked open or read of that thread returns within ~0.1 s. Other threads, and containers
opened without a timeout (PyAV does not consult the clock for those), see the real clock.
tests/streams/test_stop.py checks the mechanism against a server that never answers.
"""

from __future__ import annotations

import threading
import time
import types
from typing import Any

import av.container.core as _av_core

_JUMP_S = 86400.0
_local = threading.local()
_install_lock = threading.Lock()


class _StoppableClock:
    """The `time` module as av.container.core sees it: real, except `monotonic` on a stopped thread."""

    def __init__(self, real: types.ModuleType) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def monotonic(self) -> float:
        now: float = self._real.monotonic()
        stop: threading.Event | None = getattr(_local, "stop", None)
        return now + _JUMP_S if stop is not None and stop.is_set() else now


def install() -> None:
    """Put the stoppable clock into PyAV (once per process; idempotent)."""
    with _install_lock:
        if not isinstance(_av_core.time, _StoppableClock):  # type: ignore[attr-defined]
            _av_core.time = _StoppableClock(time)  # type: ignore[attr-defined]


def bind_current_thread(stop: threading.Event) -> None:
    """FFmpeg calls made on this thread are interrupted once `stop` is set."""
    install()
    _local.stop = stop
