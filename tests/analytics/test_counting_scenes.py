"""Issue 17, "Done when": synthetic scenes through the real person model, the current tracker and
counting give exact counts, directions, occupancy and dwell, and a restart mid-scene keeps the counts.

Counts, directions and peaks must equal the truth exactly. Times may differ from the truth by what
the detector makes of a walker cut off by the frame's edge (it finds one a frame or two later or
earlier than the truth's half-visible rule): crossings within one frame, dwell within two.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from service.pipeline.analysis.sighting import FrameView
from service.pipeline.analytics import (
    CameraCounter,
    CounterSetup,
    CounterState,
    CountingEvents,
    CountingSettings,
)
from service.pipeline.settings import TrackingSettings
from tests.analytics.conftest import Detections
from tests.analytics.replay import count, counter_for, track, truth_views
from tests.analytics.scene_set import HARD_SCENES, IN_AND_BACK, QUEUE_SCENE, SCENES, TWO_PASS
from tests.analytics.scenes import Scene

pytestmark = pytest.mark.models

TRACKING = TrackingSettings()
ALL_SCENES = SCENES + HARD_SCENES
FRAME_S = 0.25


def crossings(events: Sequence[CountingEvents]) -> list[tuple[str, str, float]]:
    return [(c.line, c.direction, c.time_s) for frame in events for c in frame.crossings]


def replay(scene: Scene, detections: Detections) -> tuple[CameraCounter, list[CountingEvents]]:
    counter = counter_for(scene, TRACKING)
    return counter, count(counter, track(scene, detections(scene.name), TRACKING))


def truth(scene: Scene, detections: Detections) -> tuple[CameraCounter, list[CountingEvents]]:
    counter = counter_for(scene, TRACKING)
    return counter, count(counter, truth_views(scene, [item.frame for item in detections(scene.name)]))


@pytest.mark.parametrize("scene", ALL_SCENES, ids=lambda scene: scene.name)
def test_counts_are_exact(scene: Scene, detections: Detections) -> None:
    counter, _ = replay(scene, detections)
    counts = counter.counts(scene.duration_s)
    assert {line.line: (line.in_count, line.out_count) for line in counts.lines} == scene.expected.lines
    assert {zone.zone: zone.entries for zone in counts.zones} == scene.expected.entries
    assert {zone.zone: zone.exits for zone in counts.zones} == scene.expected.entries
    assert {zone.zone: zone.peak_occupancy for zone in counts.zones} == scene.expected.peaks
    assert [zone.occupancy for zone in counts.zones] == [0] * len(counts.zones)
    assert counts.dwelling == ()


@pytest.mark.parametrize("scene", ALL_SCENES, ids=lambda scene: scene.name)
def test_crossings_have_the_truths_directions_within_a_frame(scene: Scene, detections: Detections) -> None:
    """Per line and direction, in time order (two walkers may cross two lines on the same frame)."""
    _, real = replay(scene, detections)
    _, ideal = truth(scene, detections)
    found, expected = by_line(crossings(real)), by_line(crossings(ideal))
    assert {key: len(times) for key, times in found.items()} == {
        key: len(times) for key, times in expected.items()
    }
    for key, times in found.items():
        assert all(abs(a - b) <= FRAME_S for a, b in zip(times, expected[key], strict=True)), key


def by_line(found: list[tuple[str, str, float]]) -> dict[tuple[str, str], list[float]]:
    grouped: dict[tuple[str, str], list[float]] = {}
    for line, direction, time_s in found:
        grouped.setdefault((line, direction), []).append(time_s)
    return grouped


@pytest.mark.parametrize("scene", [s for s in ALL_SCENES if s.zones], ids=lambda scene: scene.name)
def test_dwell_is_the_truths_within_two_frames(scene: Scene, detections: Detections) -> None:
    real, _ = replay(scene, detections)
    ideal, _ = truth(scene, detections)
    for zone, truth_zone in zip(
        real.counts(scene.duration_s).zones, ideal.counts(scene.duration_s).zones, strict=True
    ):
        assert zone.dwell_count == truth_zone.dwell_count
        assert zone.dwell_p50_s is not None and truth_zone.dwell_p50_s is not None
        assert zone.dwell_p50_s == pytest.approx(truth_zone.dwell_p50_s, abs=2 * FRAME_S)


def test_in_and_back_walks_in_stays_and_walks_out(detections: Detections) -> None:
    _, events = replay(IN_AND_BACK, detections)
    assert [(line, direction) for line, direction, _ in crossings(events)] == [
        ("door", "in"),
        ("door", "out"),
    ]
    [exit_] = [e for frame in events for e in frame.exits]
    assert exit_.reason == "left"
    assert exit_.dwell_s == pytest.approx(5.0, abs=2 * FRAME_S)  # the truth's: 3.0 to 8.0 s


def test_queue_occupancy_follows_the_truth(detections: Detections) -> None:
    """Two people from 3.25 to 7.75 s (test_scene_set): the counter's occupancy on every frame is the
    truth's, but for a frame either side of a change."""
    real, ideal = counter_for(QUEUE_SCENE, TRACKING), counter_for(QUEUE_SCENE, TRACKING)
    views = track(QUEUE_SCENE, detections(QUEUE_SCENE.name), TRACKING)
    perfect = truth_views(QUEUE_SCENE, [item.frame for item in detections(QUEUE_SCENE.name)])
    timeline: list[tuple[float, int, int]] = []
    for view, truth_view in zip(views, perfect, strict=True):
        real.update(view)
        ideal.update(truth_view)
        now = view.analysed_s
        timeline.append((now, real.counts(now).zones[0].occupancy, ideal.counts(now).zones[0].occupancy))
    changes = [
        time_s
        for (time_s, _, want), (_, _, before) in zip(timeline[1:], timeline, strict=False)
        if want != before
    ]
    for time_s, got, want in timeline:
        if all(abs(time_s - change) > FRAME_S for change in changes):
            assert got == want, time_s
    assert max(got for _, got, _ in timeline) == 2
    assert [got for time_s, got, _ in timeline if 3.75 <= time_s <= 7.25] == [2] * 15


def restarted(
    scene: Scene, detections: Detections, restart_s: float
) -> tuple[CameraCounter, list[CountingEvents]]:
    """Replay with a restart after the frame at restart_s: the counter's state through JSON (as the
    state file keeps it), then a fresh tracker, as a restarted service has."""
    frames = detections(scene.name)
    setup = CounterSetup(scene.lines, tuple(scene.zones), CountingSettings(), TRACKING)
    before = [item for item in frames if item.frame.time_s <= restart_s]
    after = [item for item in frames if item.frame.time_s > restart_s]
    counter = CameraCounter(setup)
    events = count(counter, track(scene, before, TRACKING))
    stored = CounterState.model_validate_json(counter.to_state().model_dump_json())
    resumed = CameraCounter.from_state(setup, stored)
    views: list[FrameView] = track(scene, after, TRACKING)
    return resumed, events + count(resumed, views)


@pytest.mark.parametrize(
    ("scene", "restart_s"),
    [(IN_AND_BACK, 5.5), (TWO_PASS, 4.0), (QUEUE_SCENE, 6.0)],
    ids=["in-and-back, standing in the zone", "two-pass, between the lines", "queue, two waiting"],
)
def test_a_restart_mid_scene_keeps_the_counts(scene: Scene, detections: Detections, restart_s: float) -> None:
    counter, events = restarted(scene, detections, restart_s)
    counts = counter.counts(scene.duration_s)
    assert {line.line: (line.in_count, line.out_count) for line in counts.lines} == scene.expected.lines
    steady, _ = replay(scene, detections)
    for zone, steady_zone in zip(counts.zones, steady.counts(scene.duration_s).zones, strict=True):
        # Each walker in the zone at the restart ends its visit there and enters again as a new track.
        waiting = sum(
            1 for frame in events for e in frame.exits if e.zone == zone.zone and e.reason == "restart"
        )
        assert waiting == len(scene.walkers)
        assert (zone.entries, zone.exits) == (steady_zone.entries + waiting, steady_zone.exits + waiting)
        assert (zone.occupancy, zone.peak_occupancy) == (0, steady_zone.peak_occupancy)
