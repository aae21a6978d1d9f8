"""Latest-frame slots: newest wins, so a slow model never builds a backlog.

Each camera holds at most one waiting frame, in the FrameSlot its own state object carries (the
camera table makes one per camera; this module never looks a camera up by name). Workers take
frames from cameras in the order they became ready (round-robin across cameras), and a camera is
never analysed by two workers at once, so results of one camera stay in order. Memory is bounded
by cameras x (1 waiting + 1 in work).
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Generic, Protocol, TypeVar

from service.pipeline.ingest.frame import DropReason, Frame


@dataclass(slots=True)
class FrameSlot:
    """One camera's place in the table; read and written only under the table's lock."""

    waiting: Frame | None = None
    busy: bool = False
    ready: bool = False
    drops: dict[str, int] = field(default_factory=dict)


class SlotOwner(Protocol):
    """Whatever carries a camera's slot (the camera state)."""

    @property
    def slot(self) -> FrameSlot: ...


Owner = TypeVar("Owner", bound=SlotOwner)


class LatestFrameSlots(Generic[Owner]):
    """Thread-safe. put() from the bus thread; take()/done() from workers."""

    def __init__(self) -> None:
        self._ready: deque[Owner] = deque()
        self._cond = threading.Condition()
        self._closed = False

    def put(self, owner: Owner, frame: Frame) -> Frame | None:
        """Store the camera's newest frame; return the frame it replaced (dropped), if any."""
        with self._cond:
            slot = owner.slot
            replaced = slot.waiting
            if replaced is not None and replaced.forced and not frame.forced:
                frame = replace(frame, forced=True)  # keep a fusion request alive
            slot.waiting = frame
            if replaced is not None:
                slot.drops[DropReason.REPLACED] = slot.drops.get(DropReason.REPLACED, 0) + 1
            if not slot.busy and not slot.ready:
                slot.ready = True
                self._ready.append(owner)
                self._cond.notify()
            return replaced

    def take(self, timeout_s: float | None = None) -> tuple[Owner, Frame] | None:
        """Wait for a ready camera and return it with its newest frame (marking the camera busy)."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._ready or self._closed, timeout_s):
                return None
            if self._closed:
                return None
            owner = self._ready.popleft()
            slot = owner.slot
            frame = slot.waiting
            assert frame is not None  # a ready slot always holds a frame
            slot.waiting, slot.ready, slot.busy = None, False, True
            return owner, frame

    def done(self, owner: Owner) -> None:
        """A worker finished the camera's frame; requeue it if a newer frame is waiting."""
        with self._cond:
            slot = owner.slot
            slot.busy = False
            if slot.waiting is not None and not slot.ready:
                slot.ready = True
                self._ready.append(owner)
                self._cond.notify()

    def count_drop(self, owner: Owner, reason: DropReason) -> None:
        """Record a drop decided outside the table (stale, no motion, decode)."""
        with self._cond:
            drops = owner.slot.drops
            drops[reason] = drops.get(reason, 0) + 1

    def drops(self, owner: Owner) -> dict[str, int]:
        """Drop counts of one camera by reason."""
        with self._cond:
            return dict(owner.slot.drops)

    def waiting(self, owner: Owner) -> bool:
        """Whether the camera has a frame waiting."""
        with self._cond:
            return owner.slot.waiting is not None

    def close(self) -> None:
        """Wake every waiting worker; take() returns None from now on."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
