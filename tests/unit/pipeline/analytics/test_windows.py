"""Peak occupancy and dwell percentiles over sliding windows, and what they keep for the state file."""

from __future__ import annotations

import pytest

from service.pipeline.analytics.windows import MAX_DWELL_SAMPLES, DwellWindow, PeakWindow


def test_peak_is_the_highest_value_in_effect_during_the_window() -> None:
    window = PeakWindow(10)
    for time_s, value in [(0, 1), (1, 3), (2, 2), (5, 0)]:
        window.record(time_s, value)
    assert window.current == 0
    assert window.peak(5) == 3
    assert window.peak(11) == 3  # (1, 11]: 3 was in effect until 2
    assert window.peak(12) == 2  # (2, 12]: 2 was in effect at the window's start, until 5
    assert window.peak(15.5) == 0


def test_peak_before_anything_is_zero() -> None:
    assert PeakWindow(60).peak(100) == 0
    assert PeakWindow(60).current == 0


def test_record_keeps_only_changes_and_what_the_window_needs() -> None:
    window = PeakWindow(10)
    for time_s in range(30):
        window.record(time_s, 1 if time_s < 5 else 2)
    assert window.changes == ((5, 2),)  # the value in effect at the start of (19, 29]
    assert window.peak(29) == 2
    window.record(40, 0)
    assert window.changes == ((5, 2), (40, 0))
    window.record(51, 0)
    assert window.changes == ((40, 0),)


def test_peak_window_restores_from_its_changes() -> None:
    window = PeakWindow(10)
    window.record(0, 2)
    window.record(4, 1)
    restored = PeakWindow(10, window.changes)
    assert (restored.current, restored.peak(5)) == (1, 2)


def test_dwell_percentiles_over_visits_that_ended_in_the_window() -> None:
    window = DwellWindow(100)
    for index, dwell_s in enumerate([10.0, 20.0, 30.0, 40.0]):
        window.add(float(index), dwell_s)
    count, p50, p95 = window.percentiles(50)
    assert (count, p50) == (4, 25.0)
    assert p95 == pytest.approx(38.5)
    assert window.percentiles(101.5)[:2] == (2, 35.0)  # only those that ended at 2 and 3
    assert window.percentiles(200) == (0, None, None)


def test_dwell_samples_age_out_and_are_capped() -> None:
    window = DwellWindow(10)
    window.add(0, 1.0)
    window.add(11, 2.0)
    assert window.samples == ((11, 2.0),)
    for index in range(MAX_DWELL_SAMPLES + 5):
        window.add(11 + index * 1e-3, float(index))
    assert len(window.samples) == MAX_DWELL_SAMPLES
    assert window.samples[0][1] == 5.0  # the oldest went first
