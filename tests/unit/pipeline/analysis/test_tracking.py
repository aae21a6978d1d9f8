"""Tracker: IoU, stable ids, score history, stationary objects, track expiry."""

from __future__ import annotations

import pytest

from service.pipeline.analysis.tracking import Observation, Tracker, iou
from service.pipeline.settings import TrackingSettings


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((0, 0, 10, 10), (0, 0, 10, 10), 1.0),
        ((0, 0, 10, 10), (10, 10, 20, 20), 0.0),
        ((0, 0, 10, 10), (5, 0, 15, 10), 50 / 150),
        ((0, 0, 0, 0), (0, 0, 0, 0), 0.0),
    ],
)
def test_iou(a: tuple[float, ...], b: tuple[float, ...], expected: float) -> None:
    assert iou(a, b) == pytest.approx(expected)  # type: ignore[arg-type]


def person(x: float, score: float = 0.9, label: str = "person") -> Observation:
    return Observation("person", label, score, (x, 100, x + 100, 300))


def test_ids_are_stable_and_scores_accumulate() -> None:
    tracker = Tracker(TrackingSettings())
    first = tracker.update([person(0, 0.6), person(400, 0.7)], 0.0)
    second = tracker.update([person(410, 0.8), person(5, 0.9)], 1.0)
    assert [i.track_id for i in first] == [1, 2]
    assert [i.track_id for i in second] == [2, 1]
    assert second[1].scores == (0.6, 0.9)


def test_labels_do_not_share_tracks() -> None:
    tracker = Tracker(TrackingSettings())
    tracker.update([person(0)], 0.0)
    info = tracker.update([person(0, label="car")], 1.0)
    assert info[0].track_id == 2


def test_an_object_that_stays_put_becomes_stationary_and_moving_resets_it() -> None:
    tracker = Tracker(TrackingSettings(StationaryAfterS=10))
    stationary = [tracker.update([person(0)], t)[0].stationary for t in (0, 5, 10, 15)]
    assert stationary == [False, False, True, True]
    assert not tracker.update([person(60)], 16)[0].stationary  # moved: new anchor


def test_tracks_end_after_missed_frames_and_seconds() -> None:
    tracker = Tracker(TrackingSettings(MaxMissedFrames=2, MaxMissedS=1))
    tracker.update([person(0)], 0.0)
    tracker.update([], 0.1)
    tracker.update([], 0.2)  # 2 missed frames, but only 0.2 s
    assert len(tracker) == 1
    tracker.update([], 1.5)
    assert len(tracker) == 0
    assert tracker.update([person(0)], 1.6)[0].track_id == 2


def crossing_ids(predict: bool) -> list[tuple[int, int]]:
    """Two people walking past each other, 30 px a frame: the track ids of (walker a, walker b)."""
    tracker = Tracker(TrackingSettings(PredictMotion=predict))
    ids = []
    for k in range(9):
        a, b = tracker.update([person(30 * k), person(250 - 30 * k)], float(k))
        ids.append((a.track_id, b.track_id))
    return ids


def test_matching_where_tracks_are_heading_keeps_the_ids_of_people_who_pass_each_other() -> None:
    assert crossing_ids(predict=True) == [(1, 2)] * 9


def test_matching_last_boxes_swaps_them_as_they_pass() -> None:
    ids = crossing_ids(predict=False)
    assert ids[:5] == [(1, 2)] * 5
    assert ids[5:] == [(2, 1)] * 4  # at frame 5 each box overlaps the other's last box more


def test_a_prediction_reaches_at_most_a_second_ahead() -> None:
    tracker = Tracker(TrackingSettings(MaxMissedFrames=100, MaxMissedS=100))
    for k in range(5):
        tracker.update([person(30 * k)], float(k))
    # Unseen for 10 s: predicted at most 1 s on (about 150), so a box back where it was last seen
    # (120) still matches, not one where 10 s of walking would have taken it.
    assert tracker.update([person(120)], 14.0)[0].track_id == 1
