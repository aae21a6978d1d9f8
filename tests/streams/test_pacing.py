"""RateSelector picks DetectFps out of any input rate; RealtimePacer replays at the file's pace."""

from __future__ import annotations

import itertools
import threading
import time

import pytest

from service.streams.pacing import RateSelector, RealtimePacer


@pytest.mark.parametrize(("input_fps", "detect_fps"), [(10, 5), (30, 5), (7, 5), (25, 10), (15, 1), (3, 5)])
def test_selected_rate(input_fps: float, detect_fps: float) -> None:
    selector = RateSelector(detect_fps)
    seconds = 20
    picked = [i / input_fps for i in range(int(seconds * input_fps)) if selector.due(i / input_fps)]
    assert len(picked) / seconds == pytest.approx(min(input_fps, detect_fps), abs=0.1)
    gaps = [b - a for a, b in itertools.pairwise(picked)]
    assert min(gaps) >= min(1 / input_fps, 0.75 / detect_fps) - 1e-9  # never a burst of picks
    assert all(sum(t <= p < t + 1 for p in picked) <= detect_fps + 1 for t in range(seconds))


def test_jitter_does_not_lose_frames() -> None:
    selector = RateSelector(5)
    arrivals = [i * 0.2 + (0.01 if i % 2 else -0.01) for i in range(50)]  # exactly 5 FPS, jittery
    assert sum(selector.due(t) for t in arrivals) == 50


def test_new_timeline_is_picked_at_once() -> None:
    selector = RateSelector(1)
    assert selector.due(100.0) and not selector.due(100.5)
    assert selector.due(0.0)  # the file looped
    assert selector.due(None) is False and selector.due(1.0)
    selector.reset()
    assert selector.due(None)


def test_realtime_pacer_follows_timestamps_and_stops_early() -> None:
    stop = threading.Event()
    pacer = RealtimePacer(stop)
    started = time.monotonic()
    for i in range(6):
        pacer.wait(10.0 + i * 0.05)
    assert 0.22 <= time.monotonic() - started < 0.6
    pacer.wait(0.0)  # backwards: re-anchored, no wait
    stop.set()
    started = time.monotonic()
    pacer.wait(30.0)
    pacer.wait(3.0)
    assert time.monotonic() - started < 0.1
