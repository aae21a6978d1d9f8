"""SensorTable: typed values, Bool edges, out-of-order readings, activity windows."""

from __future__ import annotations

import pytest

from service.pipeline.ingest.sensor_reading import SensorReading, SensorValue
from service.pipeline.state.sensor_table import SensorTable


def reading(value: SensorValue | None, origin: int, at: float, value_type: str = "Bool") -> SensorReading:
    return SensorReading("pir", "Motion", value_type, value, origin, at)


@pytest.mark.parametrize(
    ("values", "edges"),
    [
        ([True], ["rising"]),
        ([False], [None]),
        ([True, True, False, False, True], ["rising", None, "falling", None, "rising"]),
        ([None, True], [None, "rising"]),
    ],
)
def test_bool_edges(values: list[bool | None], edges: list[str | None]) -> None:
    table = SensorTable()
    got = [table.apply(reading(v, i + 1, float(i))).edge for i, v in enumerate(values)]
    assert got == edges


def test_numbers_have_no_edges_and_keep_their_type() -> None:
    table = SensorTable()
    update = table.apply(SensorReading("t", "Temp", "Float32", 21.5, 1, 1.0))
    assert update.edge is None
    state = table.get("t", "Temp")
    assert state is not None and state.value == 21.5 and state.value_type == "Float32"


def test_an_older_reading_does_not_overwrite_a_newer_one() -> None:
    table = SensorTable()
    table.apply(reading(True, 10, 1.0))
    update = table.apply(reading(False, 5, 2.0))
    assert not update.applied
    state = table.get("pir", "Motion")
    assert state is not None and state.value is True


def test_edge_times_and_activity_window() -> None:
    table = SensorTable()
    table.apply(reading(True, 1, 100.0))
    table.apply(reading(False, 2, 103.0))
    state = table.get("pir", "Motion")
    assert state is not None
    assert (state.last_rising_s, state.last_falling_s, state.last_true_s) == (100.0, 103.0, 100.0)
    assert table.is_active_within("pir", "Motion", 10, now_s=109.0)
    assert not table.is_active_within("pir", "Motion", 5, now_s=109.0)
    assert not table.is_active_within("nobody", "Motion", 5, now_s=109.0)
    assert [s.device for s in table.snapshot()] == ["pir"]
