"""What REST shows of a camera: its counters (kept in its state), rates, last results."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from service.pipeline.analysis.sighting import Sighting
from service.streams.health import HealthSnapshot

FPS_WINDOW_S = 5.0
_STAMPS = 256


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
    stream: HealthSnapshot | None = None  # a stream camera's reader health (None: bus frames)


@dataclass(slots=True)
class CameraCounters:
    """Frames received and analysed, with their recent times; under the camera table's lock."""

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
