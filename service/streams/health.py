"""Camera health: a small state machine with counters, read through thread-safe snapshots.

    connecting --first frame--> online --no packet or frame for StallS, stream ended--> stalled
    stalled --reconnect attempt--> connecting
    connecting | stalled --reconnecting failed for OfflineAfterS--> offline
    stalled | offline --first frame--> online

Offline is left only by a frame: further failed attempts do not flap it back to connecting. Any
other requested transition is ignored. Every transition is reported once through
`on_change(camera, old, new, reason)`, on the reader's thread, outside the lock.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from service.streams.uri import redact

logger = logging.getLogger(__name__)


class HealthState(enum.Enum):
    """Where a stream stands."""

    CONNECTING = "connecting"
    ONLINE = "online"
    STALLED = "stalled"
    OFFLINE = "offline"


_ALLOWED: dict[HealthState, frozenset[HealthState]] = {
    HealthState.CONNECTING: frozenset({HealthState.ONLINE, HealthState.OFFLINE}),
    HealthState.ONLINE: frozenset({HealthState.STALLED}),
    HealthState.STALLED: frozenset({HealthState.CONNECTING, HealthState.ONLINE, HealthState.OFFLINE}),
    HealthState.OFFLINE: frozenset({HealthState.ONLINE}),
}

OnHealthChange = Callable[[str, HealthState, HealthState, str], None]


@dataclass(frozen=True, slots=True)
class HealthSnapshot:
    """One camera's health at one moment (times are wall-clock seconds since the epoch)."""

    camera: str
    state: HealthState
    reason: str
    since_s: float
    packets_in: int
    frames_decoded: int
    frames_handed_on: int
    reconnects: int
    errors: int
    frame_callback_errors: int
    sink_errors: int
    last_error: str
    last_error_s: float | None
    last_frame_s: float | None
    decode_cpu_s: float
    hw_decode: str

    @property
    def decode_cpu_ms_per_frame(self) -> float:
        """Reader CPU (decode and BGR conversion) per decoded frame, ms; 0 before any frame."""
        return 1e3 * self.decode_cpu_s / self.frames_decoded if self.frames_decoded else 0.0


class CameraHealth:
    """Written by one reader thread, read by any (snapshot, state)."""

    def __init__(
        self,
        camera: str,
        on_change: OnHealthChange | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._camera = camera
        self._on_change = on_change
        self._wall_clock = wall_clock
        self._lock = threading.Lock()
        self._state = HealthState.CONNECTING
        self._reason = "starting"
        self._since_s = wall_clock()
        self._packets_in = self._frames_decoded = self._frames_handed_on = 0
        self._reconnects = self._errors = self._frame_callback_errors = self._sink_errors = 0
        self._last_error = ""
        self._last_error_s: float | None = None
        self._last_frame_s: float | None = None
        self._decode_cpu_s = 0.0
        self._hw_decode = ""

    @property
    def state(self) -> HealthState:
        """The current state."""
        with self._lock:
            return self._state

    def transition(self, new: HealthState, reason: str) -> bool:
        """Move to `new` if the machine allows it from the current state; True when it moved."""
        reason = redact(reason)
        with self._lock:
            old = self._state
            if new not in _ALLOWED[old]:
                return False
            self._state, self._reason, self._since_s = new, reason, self._wall_clock()
        logger.info("camera %s: %s -> %s (%s)", self._camera, old.value, new.value, reason)
        if self._on_change is not None:
            try:
                self._on_change(self._camera, old, new, reason)
            except Exception:
                logger.exception("camera %s: health listener failed", self._camera)
        return True

    def count_packet(self) -> None:
        """A video packet was demuxed."""
        with self._lock:
            self._packets_in += 1

    def count_decoded(self, frames: int, cpu_s: float) -> None:
        """`frames` came out of the decoder, costing cpu_s of the reader thread (with conversion)."""
        with self._lock:
            self._frames_decoded += frames
            self._decode_cpu_s += cpu_s

    def count_handed_on(self) -> None:
        """A frame was handed to on_frame."""
        with self._lock:
            self._frames_handed_on += 1
            self._last_frame_s = self._wall_clock()

    def count_reconnect(self) -> None:
        """A reconnect attempt starts."""
        with self._lock:
            self._reconnects += 1

    def record_error(self, message: str) -> None:
        """An error on this camera (open, read, decode); the message is redacted."""
        with self._lock:
            self._errors += 1
            self._last_error = redact(message)
            self._last_error_s = self._wall_clock()

    def count_frame_callback_error(self) -> None:
        """on_frame raised."""
        with self._lock:
            self._frame_callback_errors += 1

    def count_sink_error(self) -> None:
        """The packet sink raised."""
        with self._lock:
            self._sink_errors += 1

    def set_hw_decode(self, device: str) -> None:
        """The hardware device decoding this stream ('' = software)."""
        with self._lock:
            self._hw_decode = device

    def snapshot(self) -> HealthSnapshot:
        """A consistent copy of state and counters."""
        with self._lock:
            return HealthSnapshot(
                camera=self._camera,
                state=self._state,
                reason=self._reason,
                since_s=self._since_s,
                packets_in=self._packets_in,
                frames_decoded=self._frames_decoded,
                frames_handed_on=self._frames_handed_on,
                reconnects=self._reconnects,
                errors=self._errors,
                frame_callback_errors=self._frame_callback_errors,
                sink_errors=self._sink_errors,
                last_error=self._last_error,
                last_error_s=self._last_error_s,
                last_frame_s=self._last_frame_s,
                decode_cpu_s=self._decode_cpu_s,
                hw_decode=self._hw_decode,
            )
