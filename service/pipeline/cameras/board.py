"""Camera board: per-camera counters and last results for /api/v3/cameras and the UI."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

from service.pipeline.analysis.sighting import FrameView, Sighting

FPS_WINDOW_S = 5.0
_STAMPS = 256


@dataclass(frozen=True, slots=True)
class CameraStatic:
    """A camera's configured side: role, models, zone names."""

    role: str
    models: tuple[str, ...]
    zones: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CameraStatus:
    """What REST shows of one camera."""

    name: str
    role: str
    models: tuple[str, ...]
    frames_received: int
    frames_analysed: int
    fps_received: float
    fps_analysed: float
    drops: dict[str, int]
    last_frame_s: float | None
    last_analysed_s: float | None
    last_latency_ms: float | None
    sightings: tuple[Sighting, ...]
    zones: tuple[str, ...]
    has_snapshot: bool


@dataclass(slots=True)
class _Counters:
    received: int = 0
    analysed: int = 0
    received_at: deque[float] = field(default_factory=lambda: deque(maxlen=_STAMPS))
    analysed_at: deque[float] = field(default_factory=lambda: deque(maxlen=_STAMPS))
    last_latency_s: float | None = None
    sightings: tuple[Sighting, ...] = ()


def fps(stamps: deque[float], now_s: float) -> float:
    """Events per second over the last FPS_WINDOW_S seconds."""
    recent = [t for t in stamps if now_s - t <= FPS_WINDOW_S]
    if len(recent) < 2:
        return 0.0
    span = max(now_s - recent[0], recent[-1] - recent[0])
    return (len(recent) - 1) / span if span > 0 else 0.0


class CameraBoard:
    """Thread-safe: received() from the bus thread, analysed() from the control thread."""

    def __init__(self) -> None:
        self._cameras: dict[str, _Counters] = {}
        self._lock = threading.Lock()

    def received(self, camera: str, now_s: float) -> None:
        """A frame of the camera arrived."""
        with self._lock:
            counters = self._cameras.setdefault(camera, _Counters())
            counters.received += 1
            counters.received_at.append(now_s)

    def analysed(self, view: FrameView) -> None:
        """A frame of the camera was analysed."""
        with self._lock:
            counters = self._cameras.setdefault(view.camera, _Counters())
            counters.analysed += 1
            counters.analysed_at.append(view.analysed_s)
            counters.last_latency_s = view.latency_s
            counters.sightings = view.sightings

    def names(self) -> list[str]:
        """Cameras seen so far."""
        with self._lock:
            return sorted(self._cameras)

    def status(
        self, camera: str, now_s: float, static: CameraStatic, drops: dict[str, int], has_snapshot: bool
    ) -> CameraStatus:
        """The camera's status now."""
        with self._lock:
            c = self._cameras.get(camera) or _Counters()
            return CameraStatus(
                camera,
                static.role,
                static.models,
                c.received,
                c.analysed,
                fps(c.received_at, now_s),
                fps(c.analysed_at, now_s),
                drops,
                c.received_at[-1] if c.received_at else None,
                c.analysed_at[-1] if c.analysed_at else None,
                None if c.last_latency_s is None else c.last_latency_s * 1000,
                c.sightings,
                static.zones,
                has_snapshot,
            )
