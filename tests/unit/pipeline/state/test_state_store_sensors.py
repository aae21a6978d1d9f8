"""StateStore (sensor states) and SensorTable: typed states survive a reopen, so no phantom edge."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from service.pipeline.ingest.sensor_reading import SensorReading, SensorValue
from service.pipeline.state.sensor_table import SensorTable
from service.pipeline.state.state_store import StateStore


def reading(
    resource: str, value_type: str, value: SensorValue | None, origin: int, at: float
) -> SensorReading:
    return SensorReading("dev", resource, value_type, value, origin, at)


def test_typed_states_and_their_history_read_back_equal(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    table = SensorTable(StateStore(path, keep_ended=10))
    table.apply(reading("Open", "Bool", True, 1, 10.0))
    table.apply(reading("Open", "Bool", False, 2, 11.0))
    for resource, value_type, value in (
        ("Count", "Int64", 7),
        ("Temp", "Float32", 21.5),
        ("Mode", "String", "1"),
    ):
        table.apply(reading(resource, value_type, value, 1, 10.0))
    table.flush()
    reopened = SensorTable(StateStore(path, keep_ended=10))
    assert reopened.snapshot() == table.snapshot()
    door = reopened.get("dev", "Open")
    assert door is not None and (door.last_rising_s, door.last_falling_s, door.last_true_s) == (
        10.0,
        11.0,
        10.0,
    )
    mode = reopened.get("dev", "Mode")
    assert mode is not None and mode.value == "1"  # a string stays a string


def test_a_value_unchanged_across_a_restart_is_no_edge(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    before = SensorTable(StateStore(path, keep_ended=10))
    assert before.apply(reading("Open", "Bool", True, 1, 1.0)).edge == "rising"
    before.flush()
    after = SensorTable(StateStore(path, keep_ended=10))
    assert after.apply(reading("Open", "Bool", True, 2, 2.0)).edge is None
    assert after.apply(reading("Open", "Bool", False, 3, 3.0)).edge == "falling"
    # without the store, the same first reading after a restart looks like the door opening
    assert SensorTable().apply(reading("Open", "Bool", True, 2, 2.0)).edge == "rising"


def test_only_changed_states_are_written_and_only_on_flush(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    table = SensorTable(StateStore(path, keep_ended=10))
    table.apply(reading("Open", "Bool", True, 1, 1.0))
    assert StateStore(path, keep_ended=10).load_sensor_states() == []  # nothing before a flush
    table.flush()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE sensor_states SET body = replace(body, '\"Open\"', '\"Touched\"')")
    table.flush()  # nothing changed since: the row is not rewritten
    assert [s.resource for s in StateStore(path, keep_ended=10).load_sensor_states()] == ["Touched"]


def test_an_unreadable_row_is_skipped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "state.sqlite"
    table = SensorTable(StateStore(path, keep_ended=10))
    table.apply(reading("Open", "Bool", True, 1, 1.0))
    table.flush()
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO sensor_states VALUES ('dev', 'Broken', '{\"device\": 1}')")
    assert [s.resource for s in StateStore(path, keep_ended=10).load_sensor_states()] == ["Open"]
    assert "dev/Broken" in caplog.text and "unreadable" in caplog.text


def test_a_failed_flush_keeps_the_table_going(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = StateStore(tmp_path / "state.sqlite", keep_ended=10)
    table = SensorTable(store)
    store.close()
    table.apply(reading("Open", "Bool", True, 1, 1.0))
    table.flush()
    assert table.get("dev", "Open") is not None
    assert "cannot write 1 sensor state" in caplog.text
