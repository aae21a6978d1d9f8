"""CameraCounter over the real tracker and sight(): crossings, visits, occupancy, dwell, restarts.

Boxes are 200 x 400 px on a 1000 x 1000 frame, placed by their anchor (bottom centre) in frame
fractions; a step of up to 0.1 sideways or 0.2 up or down keeps the tracker's IoU above MatchIou.
The door line runs across at y = 0.5 (down = in); zone "shop" is the lower half, zone "till" the
lower left quarter.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

import service.pipeline.analytics as analytics
from service.pipeline.analysis.sighting import AnalysedFrame, FrameView, sight
from service.pipeline.analysis.tracking import Observation, Tracker
from service.pipeline.analytics import (
    CameraCounter,
    CounterSetup,
    CounterState,
    CountingSettings,
    LineSettings,
    ZoneCounts,
)
from service.pipeline.settings import TrackingSettings

SIZE = 1000
ZONES = {
    "shop": [(0.0, 0.5), (1.0, 0.5), (1.0, 1.0), (0.0, 1.0)],
    "till": [(0.0, 0.75), (0.5, 0.75), (0.5, 1.0), (0.0, 1.0)],
}
TRACKING = TrackingSettings(MaxMissedFrames=2, MaxMissedS=1.0)
SETUP = CounterSetup(
    lines={"door": LineSettings(Points=[(0, 0.5), (1, 0.5)], InDirection="down")},
    zones=tuple(ZONES),
    counting=CountingSettings(PeakWindowS=10, DwellWindowS=100),
    tracking=TRACKING,
)


def at(anchor_x: float, anchor_y: float, label: str = "person") -> Observation:
    """A detection whose anchor is at (anchor_x, anchor_y) in frame fractions."""
    x, y = anchor_x * SIZE, anchor_y * SIZE
    return Observation("person", label, 0.9, (x - 100, y - 400, x + 100, y))


class Camera:
    """One camera: its tracker, zones and counter, fed frames as the control loop would."""

    def __init__(self, counter: CameraCounter | None = None) -> None:
        self.tracker = Tracker(TRACKING)
        self.counter = counter or CameraCounter(SETUP)

    def frame(self, time_s: float, *observations: Observation) -> analytics.CountingEvents:
        analysed = AnalysedFrame("cam", SIZE, SIZE, tuple(observations), 0, time_s)
        view: FrameView = sight(analysed, self.tracker, ZONES)
        return self.counter.update(view)

    def walk(
        self, times: Sequence[float], path: Sequence[tuple[float, float]]
    ) -> list[analytics.CountingEvents]:
        return [self.frame(t, at(x, y)) for t, (x, y) in zip(times, path, strict=True)]

    def zone(self, name: str, now_s: float) -> ZoneCounts:
        return next(zone for zone in self.counter.counts(now_s).zones if zone.zone == name)


def test_walking_in_crosses_the_door_once_and_enters_the_shop() -> None:
    camera = Camera()
    events = camera.walk([0, 1, 2, 3], [(0.8, 0.3), (0.8, 0.45), (0.8, 0.55), (0.8, 0.6)])
    assert [e.crossings for e in events][:2] == [(), ()]
    [crossing] = events[2].crossings
    assert (crossing.line, crossing.track_id, crossing.direction, crossing.time_s) == ("door", 1, "in", 2)
    assert [(e.zone, e.time_s) for e in events[2].entries] == [("shop", 2)]
    counts = camera.counter.counts(3)
    assert [(line.line, line.in_count, line.out_count) for line in counts.lines] == [("door", 1, 0)]
    assert (camera.zone("shop", 3).occupancy, camera.zone("shop", 3).entries) == (1, 1)
    assert [(d.zone, d.track_id, d.entered_s, d.dwell_s) for d in counts.dwelling] == [("shop", 1, 2, 1)]


def test_walking_out_counts_out_and_the_visit_ends_with_its_dwell() -> None:
    camera = Camera()
    path = [(0.8, 0.6), (0.8, 0.7), (0.8, 0.7), (0.8, 0.55), (0.8, 0.45), (0.8, 0.3)]
    events = camera.walk([0, 1, 2, 3, 4, 5], path)
    assert [(c.direction, c.time_s) for e in events for c in e.crossings] == [("out", 4)]
    [exit_] = events[4].exits
    assert (exit_.zone, exit_.time_s, exit_.dwell_s, exit_.reason) == ("shop", 4, 3, "left")
    shop = camera.zone("shop", 5)
    assert (shop.occupancy, shop.peak_occupancy, shop.entries, shop.exits) == (0, 1, 1, 1)
    assert (shop.dwell_count, shop.dwell_p50_s, shop.dwell_p95_s) == (1, 3.0, 3.0)


def test_nested_zones_are_visited_independently() -> None:
    camera = Camera()
    path = [(0.25, 0.6), (0.25, 0.8), (0.35, 0.8), (0.45, 0.8), (0.55, 0.8)]
    events = camera.walk([0, 1, 2, 3, 4], path)
    assert [(e.zone, e.time_s) for ev in events for e in ev.entries] == [("shop", 0), ("till", 1)]
    assert [(e.zone, e.time_s, e.dwell_s) for ev in events for e in ev.exits] == [("till", 4, 2)]


def test_a_lost_track_exits_by_the_trackers_rule_and_dwells_until_last_seen() -> None:
    camera = Camera()
    camera.walk([0, 1], [(0.3, 0.6), (0.3, 0.6)])
    # Missed on 2 frames but only 0.2 s: the tracker keeps it, and so does the counter.
    assert camera.frame(1.1).exits == () and camera.frame(1.2).exits == ()
    assert camera.zone("shop", 1.2).occupancy == 1
    assert len(camera.tracker) == 1
    [exit_] = camera.frame(2.5).exits
    assert len(camera.tracker) == 0  # both forget it on the same frame
    assert (exit_.zone, exit_.time_s, exit_.dwell_s, exit_.reason) == ("shop", 2.5, 1, "lost")
    assert camera.zone("shop", 2.5).occupancy == 0


def test_a_track_carried_through_an_occlusion_neither_exits_nor_enters_again() -> None:
    camera = Camera()
    camera.walk([0, 1], [(0.3, 0.6), (0.3, 0.6)])
    camera.frame(1.5)
    events = camera.frame(2, at(0.3, 0.6))
    assert events.entries == () and events.exits == ()
    assert camera.zone("shop", 2).entries == 1


def test_a_crossing_during_missed_frames_counts_when_the_track_is_seen_again() -> None:
    camera = Camera()
    camera.frame(0, at(0.5, 0.48))
    camera.frame(0.5)
    events = camera.frame(1, at(0.5, 0.52))  # still overlaps its last box: the same track
    assert [(c.track_id, c.direction) for c in events.crossings] == [(1, "in")]


def test_two_people_peak_and_dwell_percentiles() -> None:
    camera = Camera()
    for t in range(0, 9):
        people = [at(0.2, 0.6)] if t < 8 else []  # A in the shop from 0 to 7
        if 2 <= t <= 4:
            people.append(at(0.8, 0.6))  # B from 2 to 4, lost at 6 (2 frames missed, >= 1 s)
        camera.frame(float(t), *people)
    shop = camera.zone("shop", 8)
    assert (shop.entries, shop.exits, shop.occupancy, shop.peak_occupancy) == (2, 1, 1, 2)
    assert (shop.dwell_count, shop.dwell_p50_s) == (1, 2.0)
    [exit_] = camera.frame(9.0).exits  # A lost: 2 frames missed, 2 s since 7
    assert (exit_.track_id, exit_.dwell_s, exit_.reason) == (1, 7, "lost")
    shop = camera.zone("shop", 9)
    assert (shop.exits, shop.occupancy, shop.dwell_count) == (2, 0, 2)
    assert shop.dwell_p50_s == pytest.approx(4.5)  # of 2 and 7
    assert shop.dwell_p95_s == pytest.approx(6.75)
    assert camera.zone("shop", 15.5).peak_occupancy == 2  # (5.5, 15.5]: 2 was in effect until 6
    assert camera.zone("shop", 16.5).peak_occupancy == 1
    assert camera.zone("shop", 19.5).peak_occupancy == 0
    assert camera.zone("shop", 109.5).dwell_count == 0  # both ended more than DwellWindowS ago


def test_only_counted_labels_count() -> None:
    camera = Camera()
    camera.frame(0, at(0.2, 0.4, label="car"), at(0.8, 0.4))
    events = camera.frame(1, at(0.2, 0.6, label="car"), at(0.8, 0.6))
    assert [(c.track_id, c.label) for c in events.crossings] == [(2, "person")]
    assert camera.zone("shop", 1).occupancy == 1


def test_zones_unknown_to_the_counter_are_ignored() -> None:
    setup = CounterSetup(SETUP.lines, ("till",), SETUP.counting, TRACKING)
    camera = Camera(CameraCounter(setup))
    events = camera.frame(0, at(0.25, 0.9))
    assert [e.zone for e in events.entries] == ["till"]
    assert [zone.zone for zone in camera.counter.counts(0).zones] == ["till"]


def test_events_are_falsy_when_nothing_happened() -> None:
    camera = Camera()
    assert not camera.frame(0, at(0.8, 0.3))
    assert camera.frame(1, at(0.8, 0.6))


def run_sequence(restart_after: int | None) -> tuple[Camera, list[analytics.CountingEvents]]:
    """Two people: A walks in and stays, B walks in and out again; optionally a restart after a frame.

    The state goes through JSON as the state file would keep it; the restarted service has a fresh
    tracker (ids from 1 again).
    """
    frames = [
        [at(0.2, 0.3), at(0.8, 0.3)],
        [at(0.2, 0.45), at(0.8, 0.45)],
        [at(0.2, 0.55), at(0.8, 0.55)],  # both cross in
        [at(0.2, 0.6), at(0.8, 0.6)],
        [at(0.2, 0.6), at(0.8, 0.55)],
        [at(0.2, 0.6), at(0.8, 0.45)],  # B crosses out
        [at(0.2, 0.6), at(0.8, 0.3)],
    ]
    camera, events = Camera(), []
    for index, observations in enumerate(frames):
        events.append(camera.frame(float(index), *observations))
        if index == restart_after:
            stored = CounterState.model_validate_json(camera.counter.to_state().model_dump_json())
            camera = Camera(CameraCounter.from_state(SETUP, stored))
    return camera, events


def test_a_restart_mid_sequence_keeps_the_line_counts() -> None:
    steady, _ = run_sequence(None)
    restarted, events = run_sequence(restart_after=3)
    for camera in (steady, restarted):
        [door] = camera.counter.counts(6).lines
        assert (door.in_count, door.out_count) == (2, 1)
    # After the restart both visits end ("restart"), and A, still there, enters again as a new track.
    assert sorted((e.zone, e.reason, e.dwell_s) for e in events[4].exits) == [
        ("shop", "restart", 1.0),
        ("shop", "restart", 1.0),
    ]
    assert [(e.zone, e.track_id) for e in events[4].entries] == [("shop", 1), ("shop", 2)]
    shop = restarted.zone("shop", 6)
    assert (shop.entries, shop.exits, shop.occupancy, shop.peak_occupancy) == (4, 3, 1, 2)
    assert (steady.zone("shop", 6).entries, steady.zone("shop", 6).exits) == (2, 1)


def test_counts_before_the_first_frame_after_a_restart_show_the_stored_occupancy() -> None:
    camera = Camera()
    camera.walk([0, 1], [(0.3, 0.4), (0.3, 0.6)])
    restored = CameraCounter.from_state(SETUP, camera.counter.to_state())
    counts = restored.counts(1.5)
    assert [(z.zone, z.occupancy, z.entries) for z in counts.zones] == [("shop", 1, 1), ("till", 0, 0)]
    assert [(d.zone, d.track_id) for d in counts.dwelling] == [("shop", 1)]
    assert [(line.in_count, line.out_count) for line in counts.lines] == [(1, 0)]
    assert restored.to_state() == camera.counter.to_state()


def test_restoring_under_changed_lines_and_zones_keeps_what_still_exists() -> None:
    camera = Camera()
    camera.walk([0, 1, 2, 3], [(0.3, 0.4), (0.3, 0.55), (0.3, 0.7), (0.3, 0.85)])
    changed = CounterSetup(
        {"door": SETUP.lines["door"], "gate": LineSettings(Points=[(0.5, 0), (0.5, 1)], InDirection="right")},
        ("till", "car-park"),
        SETUP.counting,
        TRACKING,
    )
    restored = CameraCounter.from_state(changed, camera.counter.to_state())
    counts = restored.counts(3)
    assert [(line.line, line.in_count) for line in counts.lines] == [("door", 1), ("gate", 0)]
    assert [(z.zone, z.occupancy, z.entries) for z in counts.zones] == [("till", 1, 1), ("car-park", 0, 0)]
    events = Camera(restored).frame(4)
    assert [(e.zone, e.reason) for e in events.exits] == [("till", "restart")]  # shop is gone


def test_state_of_another_version_does_not_validate() -> None:
    with pytest.raises(ValueError, match="Version"):
        CounterState.model_validate({"Version": 2})


def test_the_package_exports_exactly_its_all() -> None:
    exported = {name for name in vars(analytics) if not name.startswith("_")}
    modules = {"counter_state", "counting", "lines", "readings", "records", "windows"}
    assert sorted(exported - modules) == sorted(analytics.__all__)


def test_a_live_edit_keeps_the_counts_and_open_visits_of_kept_lines_and_zones() -> None:
    camera = Camera()
    camera.walk([0, 1, 2], [(0.25, 0.45), (0.25, 0.6), (0.25, 0.8)])  # in through the door, into both zones
    edited = CounterSetup(
        lines={
            "door": SETUP.lines["door"],
            "middle": LineSettings(Points=[(0.5, 0), (0.5, 1)], InDirection="right"),
        },
        zones=("till",),  # shop removed
        counting=SETUP.counting,
        tracking=TRACKING,
    )
    camera.counter = camera.counter.reconfigured(edited)
    counts = camera.counter.counts(2)
    assert [(line.line, line.in_count) for line in counts.lines] == [("door", 1), ("middle", 0)]
    assert [(z.zone, z.occupancy, z.entries) for z in counts.zones] == [("till", 1, 1)]
    camera.walk([3, 4], [(0.35, 0.8), (0.45, 0.8)])
    events = camera.frame(5, at(0.55, 0.8))  # the same track walks on: across the new line, out of till
    assert [(c.line, c.track_id, c.direction) for c in events.crossings] == [("middle", 1, "in")]
    assert [(e.zone, e.reason, e.dwell_s) for e in events.exits] == [("till", "left", 2)]  # no "restart"
