"""Per-camera latest-frame slots: newest wins, so a slow model never builds a backlog.

Each camera holds at most one waiting frame. Workers take frames from cameras in the order they
became ready (round-robin across cameras), and a camera is never analysed by two workers at once,
so results of one camera stay in order. Memory is bounded by cameras x (1 waiting + 1 in work).
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field, replace

from service.pipeline.ingest.frame import DropReason, Frame


@dataclass(slots=True)
class _Slot:
    waiting: Frame | None = None
    busy: bool = False
    ready: bool = False
    drops: dict[str, int] = field(default_factory=dict)


class LatestFrameSlots:
    """Thread-safe slot table. put() from the bus thread; take()/done() from workers."""

    def __init__(self, max_cameras: int = 256) -> None:
        self._max_cameras = max_cameras
        self._slots: dict[str, _Slot] = {}
        self._ready: deque[str] = deque()
        self._cond = threading.Condition()
        self._closed = False

    def put(self, frame: Frame) -> Frame | None:
        """Store the camera's newest frame; return the frame it replaced (dropped), if any.

        Raises OverflowError when a new camera would exceed the slot table's size.
        """
        with self._cond:
            slot = self._slots.get(frame.camera)
            if slot is None:
                if len(self._slots) >= self._max_cameras:
                    raise OverflowError(f"more than {self._max_cameras} cameras: {frame.camera}")
                slot = self._slots[frame.camera] = _Slot()
            replaced = slot.waiting
            if replaced is not None and replaced.forced and not frame.forced:
                frame = replace(frame, forced=True)  # keep a fusion request alive
            slot.waiting = frame
            if replaced is not None:
                slot.drops[DropReason.REPLACED] = slot.drops.get(DropReason.REPLACED, 0) + 1
            if not slot.busy and not slot.ready:
                slot.ready = True
                self._ready.append(frame.camera)
                self._cond.notify()
            return replaced

    def take(self, timeout_s: float | None = None) -> Frame | None:
        """Wait for a ready camera and return its newest frame (marking the camera busy)."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._ready or self._closed, timeout_s):
                return None
            if self._closed:
                return None
            camera = self._ready.popleft()
            slot = self._slots[camera]
            frame = slot.waiting
            assert frame is not None  # a ready slot always holds a frame
            slot.waiting, slot.ready, slot.busy = None, False, True
            return frame

    def done(self, camera: str) -> None:
        """A worker finished the camera's frame; requeue it if a newer frame is waiting."""
        with self._cond:
            slot = self._slots[camera]
            slot.busy = False
            if slot.waiting is not None and not slot.ready:
                slot.ready = True
                self._ready.append(camera)
                self._cond.notify()

    def count_drop(self, camera: str, reason: DropReason) -> None:
        """Record a drop decided outside the table (stale, no motion, decode)."""
        with self._cond:
            slot = self._slots.get(camera)
            if slot is not None:
                slot.drops[reason] = slot.drops.get(reason, 0) + 1

    def drops(self, camera: str) -> dict[str, int]:
        """Drop counts of one camera by reason."""
        with self._cond:
            slot = self._slots.get(camera)
            return dict(slot.drops) if slot is not None else {}

    def depth(self) -> dict[str, int]:
        """Frames waiting per camera (0 or 1)."""
        with self._cond:
            return {name: int(slot.waiting is not None) for name, slot in self._slots.items()}

    def close(self) -> None:
        """Wake every waiting worker; take() returns None from now on."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
