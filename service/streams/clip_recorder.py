"""ClipRecorder: the packet sink of one stream-fed camera, turning clip requests into remuxed MP4s.

Threads: `stream_opened`, `packet` and `stream_closed` run on the camera's reader thread;
`request` on whichever thread raises the alert; a request's deadline timer on its own short-lived
thread; the MP4 is written, and `on_clip` called, on the `ClipOutput` executor, never on the
reader thread. One lock guards the ring and the open requests.

`PendingClips` (the open requests of a camera: collecting until their end or a deadline) is shared
with the bus-camera recorder in frame_clip.py.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Generic, TypeVar

import av
import av.video.stream

from service.streams.clip_ring import ClipRing, KeptPacket, RingCounts
from service.streams.clip_store import ClipSettings, valid_alert_id
from service.streams.clip_writer import ClipError, ClipOutput, StreamTemplate, remux_clip, write_and_report

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(eq=False, slots=True)
class Pending(Generic[T]):
    """One clip request being recorded: what came so far, until `end_s`."""

    alert_id: str
    start_s: float
    end_s: float
    items: list[T]
    timer: threading.Timer | None = field(default=None, repr=False)


class PendingClips(Generic[T]):
    """The open clip requests of one camera; the owner calls every method under its own lock."""

    def __init__(self, max_wait_s: float, clock: Callable[[], float], expire: Callable[[Pending[T]], None]):
        self._max_wait_s = max_wait_s
        self._clock = clock
        self._expire = expire
        self._open: list[Pending[T]] = []

    def __len__(self) -> int:
        return len(self._open)

    def add(self, alert_id: str, start_s: float, end_s: float, items: list[T]) -> None:
        """Open a request; it expires `max_wait_s` (real time) after its end if its source goes quiet."""
        pending = Pending(alert_id, start_s, end_s, items)
        delay = max(end_s - self._clock(), 0.0) + self._max_wait_s
        pending.timer = threading.Timer(delay, self._expire, args=(pending,))
        pending.timer.daemon = True
        pending.timer.start()
        self._open.append(pending)

    def offer(self, item: T, at_s: float, starts_clip: bool) -> list[Pending[T]]:
        """Add `item` (from `at_s`) to every open request it belongs to; the requests it completes."""
        done = [p for p in self._open if at_s > p.end_s]
        for pending in self._open:
            if at_s <= pending.end_s and (pending.items or starts_clip):
                pending.items.append(item)
        for pending in done:
            self.take(pending)
        return done

    def take(self, pending: Pending[T]) -> bool:
        """Close `pending` (cancels its timer); False when it was closed already."""
        if pending not in self._open:
            return False
        self._open.remove(pending)
        if pending.timer is not None:
            pending.timer.cancel()
        return True

    def take_all(self) -> list[Pending[T]]:
        """Close every open request."""
        done = list(self._open)
        for pending in done:
            self.take(pending)
        return done


class ClipRecorder:
    """PacketSink of one camera: pre-roll ring of its packets and the clips asked of it."""

    def __init__(
        self, camera: str, settings: ClipSettings, output: ClipOutput, clock: Callable[[], float] = time.time
    ):
        self.camera = camera
        self._settings = settings
        self._output = output
        self._lock = threading.Lock()
        self._pending: PendingClips[KeptPacket] = PendingClips(output.max_wait_s, clock, self._expire)
        self._ring: ClipRing | None = None
        self._template: StreamTemplate | None = None
        self._unusable: ClipError | None = None  # why this stream cannot give clips
        self._open = False

    def stream_opened(self, stream: av.video.stream.VideoStream) -> None:
        """A (new) stream: clips in progress are written with what they have; a new ring starts."""
        with self._lock:
            self._finish(self._pending.take_all())
            try:
                self._template = StreamTemplate(stream)
            except ClipError as exc:
                logger.warning("camera %s: no clips from this stream: %s", self.camera, exc)
                self._template, self._ring, self._unusable = None, None, exc
                return
            self._unusable = None
            self._ring = ClipRing(
                self._template.time_base,
                self._settings.PreRollS,
                self._settings.MaxPreRollBytes,
                wallclock=self._template.untimed,
            )
            self._open = True

    def packet(self, packet: av.Packet[Any], wallclock_s: float) -> None:
        """Keep a copy of `packet` in the ring and in every clip recording now."""
        with self._lock:
            if self._ring is None:
                return
            kept = self._ring.push(packet, wallclock_s)
            self._finish(self._pending.offer(kept, wallclock_s, kept.keyframe))

    def stream_closed(self) -> None:
        """The stream ended: clips in progress are written with what they have."""
        with self._lock:
            self._open = False
            self._finish(self._pending.take_all())

    def request(self, alert_id: str, at_s: float, pre_s: float, post_s: float) -> None:
        """Record from `at_s - pre_s` to `at_s + post_s` (wall clock), then write the clip and call on_clip.

        ClipError at once for an alert id that cannot name a file; every other outcome goes to on_clip.
        """
        if not valid_alert_id(alert_id):
            raise ClipError(f"alert id {alert_id!r} cannot name a clip (only [A-Za-z0-9._-])")
        start_s, end_s = at_s - pre_s, at_s + post_s
        with self._lock:
            if self._ring is None:
                error = self._unusable or ClipError(f"camera {self.camera} has no open stream")
                self._output.executor.submit(self._output.on_clip, alert_id, None, error)
                return
            self._pending.add(alert_id, start_s, end_s, self._ring.since(start_s, end_s))
            if not self._open:
                self._finish(self._pending.take_all())

    def ring_counts(self) -> RingCounts | None:
        """What the pre-roll ring holds (None before a usable stream opened)."""
        with self._lock:
            return self._ring.counts() if self._ring is not None else None

    def close(self) -> None:
        """Write every clip in progress with what it has (service stop)."""
        self.stream_closed()

    def _expire(self, pending: Pending[KeptPacket]) -> None:
        with self._lock:
            if self._pending.take(pending):
                self._finish([pending])

    def _finish(self, done: list[Pending[KeptPacket]]) -> None:
        template = self._template
        for pending in done:
            if template is None:  # cannot happen: a request needs a ring, a ring needs a template
                raise AssertionError("clip request without a stream template")
            try:
                self._output.executor.submit(
                    write_and_report,
                    self._output,
                    pending.alert_id,
                    partial(remux_clip, template, pending.items, pending.start_s),
                )
            except RuntimeError:  # executor shut down: the service is stopping
                logger.error(
                    "camera %s: clip of alert %s lost: clip writer stopped", self.camera, pending.alert_id
                )
