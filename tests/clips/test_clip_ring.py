"""ClipRing: whole GOPs from a keyframe, bounded by seconds and bytes, monotonic timestamps."""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import Any

import av
import pytest

from service.streams.clip_ring import ClipRing

TB = Fraction(1, 90000)
TICKS = 9000  # 0.1 s


def packet(index: int, keyframe: bool, size: int = 1000, pts: int | None = -1) -> av.Packet[Any]:
    made = av.Packet(bytes([index % 256]) * size)
    made.pts = index * TICKS if pts == -1 else pts
    made.dts = made.pts
    made.time_base = TB
    made.duration = TICKS
    made.is_keyframe = keyframe
    return made


def fill(ring: ClipRing, count: int, gop: int = 10, size: int = 1000) -> None:
    for index in range(count):
        ring.push(packet(index, index % gop == 0, size), 100 + index / 10)


def test_packets_before_the_first_keyframe_are_not_kept() -> None:
    ring = ClipRing(TB, max_duration_s=5, max_bytes=10**6)
    for index in range(1, 5):
        kept = ring.push(packet(index, False), 100 + index / 10)
        assert kept.data == bytes([index]) * 1000  # a copy is still handed back for open clips
    assert ring.since(0) == []
    ring.push(packet(5, True), 100.5)
    assert [p.keyframe for p in ring.since(0)] == [True]


@pytest.mark.parametrize("max_duration_s", [1.0, 3.0, 4.5])
def test_duration_bound_drops_whole_gops_and_keeps_at_least_the_bound(max_duration_s: float) -> None:
    ring = ClipRing(TB, max_duration_s=max_duration_s, max_bytes=10**9)
    fill(ring, 120)  # 12 s, a keyframe every second
    kept = ring.since(0)
    span_s = kept[-1].wallclock_s - kept[0].wallclock_s
    assert kept[0].keyframe
    assert max_duration_s - 0.1 <= span_s < max_duration_s + 1  # at most one GOP more than asked
    assert ring.counts().dropped_gops > 0 and ring.counts().packets == len(kept)


def test_byte_bound_drops_whole_gops() -> None:
    ring = ClipRing(TB, max_duration_s=60, max_bytes=25_000)
    fill(ring, 100)
    kept = ring.since(0)
    assert kept[0].keyframe
    assert ring.counts().bytes == sum(len(p.data) for p in kept) <= 25_000
    assert len(kept) >= 15  # two whole GOPs fit (one full, one filling)


def test_a_gop_larger_than_the_byte_bound_empties_the_ring_until_the_next_keyframe() -> None:
    ring = ClipRing(TB, max_duration_s=60, max_bytes=5_000)
    fill(ring, 8, gop=10)  # 8 KB in one GOP
    assert ring.since(0) == []
    ring.push(packet(10, True), 101)
    assert [p.keyframe for p in ring.since(0)] == [True]


def test_since_starts_at_the_keyframe_at_or_before_the_start() -> None:
    ring = ClipRing(TB, max_duration_s=60, max_bytes=10**9)
    fill(ring, 50)  # keyframes at 100.0, 101.0, ...
    got = ring.since(102.5, 103.2)
    assert got[0].keyframe and got[0].wallclock_s == pytest.approx(102.0)
    assert got[-1].wallclock_s == pytest.approx(103.2)
    assert ring.since(50)[0].wallclock_s == pytest.approx(100.0)  # before the ring: its oldest


def test_timestamps_stay_monotonic_when_the_source_loops_or_has_none() -> None:
    ring = ClipRing(TB, max_duration_s=60, max_bytes=10**9)
    fill(ring, 20)
    for index in range(10):  # a looping file seeks back to pts 0 on the same stream
        ring.push(packet(index, index == 0), 102 + index / 10)
    for index in range(5):  # a demuxer without timestamps: the arrival time instead
        ring.push(packet(index, index == 0, pts=None), 103 + index / 10)
    dts = [p.dts for p in ring.since(0)]
    assert all(b > a for a, b in itertools.pairwise(dts))
    assert all(p.pts >= p.dts for p in ring.since(0))
