"""The pre-roll ring of one camera: copies of its encoded packets, whole GOPs, bounded by seconds and bytes.

Written on the reader thread (`push`), read by whoever asks for a clip (`since`); one lock guards
both. The ring always starts at a keyframe: it drops whole GOPs from the front, and packets that
arrive before the first keyframe are not kept. Timestamps are made monotonic on the way in (a
file source that loops seeks back to 0 on the same stream), so any run of kept packets can be
remuxed as it is. A source whose container has no timestamps (MJPEG over HTTP: the demuxer
counts frames at a guessed 25 FPS) is stamped with the packets' arrival times instead, in ms.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import av


@dataclass(frozen=True, slots=True)
class KeptPacket:
    """One encoded video packet, copied out of PyAV's buffer (which the demuxer may reuse)."""

    data: bytes
    pts: int  # in time_base; monotonic within a ring
    dts: int
    duration: int
    time_base: Fraction
    keyframe: bool
    wallclock_s: float  # when the reader got it, seconds since the epoch


@dataclass(frozen=True, slots=True)
class RingCounts:
    """What the ring holds now, and what it has thrown away (for metrics)."""

    packets: int
    bytes: int
    duration_s: float
    dropped_gops: int


WALLCLOCK_TIME_BASE = Fraction(1, 1000)


class _Timeline:
    """Turns a packet's pts/dts (either may be missing, or jump back) into monotonic timestamps."""

    def __init__(self, time_base: Fraction, wallclock: bool) -> None:
        self.time_base = WALLCLOCK_TIME_BASE if wallclock else time_base
        self._wallclock = wallclock
        self._offset = 0
        self._last_dts: int | None = None
        self._last_end = 0  # dts + duration of the last packet, after the offset
        self._first_wall_s: float | None = None

    def stamp(self, packet: av.Packet[Any], wallclock_s: float) -> tuple[int, int, int]:
        """(pts, dts, duration) for `packet` on this timeline."""
        if self._first_wall_s is None:
            self._first_wall_s = wallclock_s
        pts, dts = packet.pts, packet.dts
        duration = packet.duration or 0
        if self._wallclock or (pts is None and dts is None):
            pts = dts = round((wallclock_s - self._first_wall_s) / self.time_base)
            duration = 0  # in the demuxer's time base, not ours
        elif pts is None:
            pts = dts
        elif dts is None:
            dts = pts
        assert pts is not None and dts is not None
        if self._last_dts is not None and dts + self._offset <= self._last_dts:
            # Went back (looped file, camera restart): continue right after the last packet.
            self._offset = self._last_end - dts
        pts, dts = pts + self._offset, dts + self._offset
        self._last_dts = dts
        self._last_end = dts + max(duration, 1)
        return max(pts, dts), dts, duration


class ClipRing:
    """Encoded packets of the last `max_duration_s` (at least, up to one GOP more), within `max_bytes`.

    `wallclock`: stamp packets with their arrival time (the source's own timestamps mean nothing).
    """

    def __init__(
        self, time_base: Fraction, max_duration_s: float, max_bytes: int, *, wallclock: bool = False
    ) -> None:
        self._timeline = _Timeline(time_base, wallclock)
        self._max_duration_s = max_duration_s
        self._max_bytes = max_bytes
        self._gops: deque[list[KeptPacket]] = deque()
        self._bytes = 0
        self._packets = 0
        self._dropped_gops = 0
        self._lock = threading.Lock()

    def push(self, packet: av.Packet[Any], wallclock_s: float) -> KeptPacket:
        """Copy `packet` in and return the copy; it is kept only from a keyframe on."""
        keyframe = bool(packet.is_keyframe)
        with self._lock:
            pts, dts, duration = self._timeline.stamp(packet, wallclock_s)
            tb = self._timeline.time_base
            kept = KeptPacket(bytes(packet), pts, dts, duration, tb, keyframe, wallclock_s)
            if not keyframe and not self._gops:
                return kept  # nothing to start from yet
            if keyframe:
                self._gops.append([kept])
            else:
                self._gops[-1].append(kept)
            self._bytes += len(kept.data)
            self._packets += 1
            self._trim(wallclock_s)
            return kept

    def since(self, start_s: float, end_s: float = float("inf")) -> list[KeptPacket]:
        """Packets from the last keyframe at or before `start_s` (or the oldest) up to `end_s`."""
        with self._lock:
            gops = list(self._gops)
        first = 0
        for index, gop in enumerate(gops):
            if gop[0].wallclock_s <= start_s:
                first = index
        return [p for gop in gops[first:] for p in gop if p.wallclock_s <= end_s]

    def counts(self) -> RingCounts:
        """Packets, bytes and seconds held now; GOPs dropped so far."""
        with self._lock:
            span = self._gops[-1][-1].wallclock_s - self._gops[0][0].wallclock_s if self._gops else 0.0
            return RingCounts(self._packets, self._bytes, span, self._dropped_gops)

    def _trim(self, now_s: float) -> None:
        # Keep the oldest GOP while the next one alone would not reach back max_duration_s.
        while len(self._gops) > 1 and now_s - self._gops[1][0].wallclock_s >= self._max_duration_s:
            self._drop_front()
        while len(self._gops) > 1 and self._bytes > self._max_bytes:
            self._drop_front()
        if self._bytes > self._max_bytes:
            # One GOP bigger than the bound: hold nothing until the next keyframe.
            self._drop_front()

    def _drop_front(self) -> None:
        gop = self._gops.popleft()
        self._bytes -= sum(len(p.data) for p in gop)
        self._packets -= len(gop)
        self._dropped_gops += 1
