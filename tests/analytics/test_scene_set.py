"""The synthetic set itself: its paths make the counts it promises (truth boxes, no model needed)."""

from __future__ import annotations

import pytest

from service.pipeline.settings import TrackingSettings
from tests.analytics.replay import count, counter_for, truth_views
from tests.analytics.scene_set import HARD_SCENES, IN_AND_BACK, QUEUE_SCENE, SCENES, TWO_PASS
from tests.analytics.scenes import HEIGHT, MIN_VISIBLE, WIDTH, Scene, render

TRACKING = TrackingSettings()


@pytest.mark.parametrize("scene", SCENES + HARD_SCENES, ids=lambda scene: scene.name)
def test_counting_the_truth_gives_the_expected_counts(scene: Scene) -> None:
    counter = counter_for(scene, TRACKING)
    count(counter, truth_views(scene, render(scene)))
    counts = counter.counts(scene.duration_s)
    assert {line.line: (line.in_count, line.out_count) for line in counts.lines} == scene.expected.lines
    assert {zone.zone: zone.entries for zone in counts.zones} == scene.expected.entries
    assert {zone.zone: zone.exits for zone in counts.zones} == scene.expected.entries  # all ended
    assert {zone.zone: zone.peak_occupancy for zone in counts.zones} == scene.expected.peaks
    assert all(zone.occupancy == 0 for zone in counts.zones)


@pytest.mark.parametrize("scene", SCENES + HARD_SCENES, ids=lambda scene: scene.name)
def test_frames_are_640x480_and_every_walker_shows_fully_somewhere(scene: Scene) -> None:
    frames = list(render(scene))
    assert {frame.image.shape for frame in frames} == {(HEIGHT, WIDTH, 3)}
    assert len(frames) == round(scene.duration_s * scene.fps) + 1
    for person_id in range(1, len(scene.walkers) + 1):
        best = max(box.visible for frame in frames for box in frame.truth if box.person_id == person_id)
        assert best == pytest.approx(1.0)
    assert not frames[-1].shown()  # every scene ends empty


def test_the_walker_in_front_hides_the_one_behind() -> None:
    frames = list(render(TWO_PASS))
    middle = next(frame for frame in frames if frame.time_s == 4.0)
    visible = {box.person_id: box.visible for box in middle.truth}
    assert visible[2] == pytest.approx(1.0)
    assert visible[1] < MIN_VISIBLE


def test_dwell_of_the_truth_is_the_time_between_first_and_last_frame_inside() -> None:
    counter = counter_for(IN_AND_BACK, TRACKING)
    events = count(counter, truth_views(IN_AND_BACK, render(IN_AND_BACK)))
    [exit_] = [e for frame in events for e in frame.exits]
    # x = 0.5 is passed at 2.93 s going in and 8.07 s going out: inside from the 3.0 frame to the 8.0 one.
    assert (exit_.dwell_s, exit_.reason) == (5.0, "left")


def test_the_queue_holds_two_while_both_anchors_are_inside() -> None:
    """The cameraman's cut-off box has its anchor inside x < 0.85 from 3.15 s (unclipped centre 0.89)
    until 7.85 s on his way out: two people on the frames 3.25 to 7.75."""
    counter = counter_for(QUEUE_SCENE, TRACKING)
    occupancy = []
    for view in truth_views(QUEUE_SCENE, render(QUEUE_SCENE)):
        counter.update(view)
        occupancy.append((view.analysed_s, counter.counts(view.analysed_s).zones[0].occupancy))
    two = [time_s for time_s, people in occupancy if people == 2]
    assert (min(two), max(two), len(two)) == (3.25, 7.75, 19)
