"""StateStore (alerts) and AlertBook on disk: alerts, their actions and sequences survive a reopen."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from service.pipeline.analysis.sighting import Sighting
from service.pipeline.errors import StateStoreError
from service.pipeline.state.alert_book import AlertBook
from service.pipeline.state.records import ActionOutcome, Alert, AlertChange
from service.pipeline.state.state_store import StateStore

SIGHTING = Sighting("person", "person", 0.91, (10.0, 20.0, 110.0, 320.0), ("door",), 7, False, (0.8, 0.91))


def alert(alert_id: str = "a1", started_s: float = 1.0) -> Alert:
    return Alert(
        alert_id, "rule", "cam", "CRITICAL", "person", "1 person", "active", started_s, started_s, started_s,
        sightings=(SIGHTING,), latency_s=0.04,
    )  # fmt: skip


def ended(item: Alert, at_s: float) -> Alert:
    return replace(item, state="ended", ended_s=at_s, updated_s=at_s)


def test_an_alert_with_sightings_and_actions_reads_back_equal(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.sqlite", keep_ended=10)
    original = replace(
        alert(), actions=(ActionOutcome("a1/0/command", "command", "delivered", 1, 12.5, "", 2.0),)
    )
    store.save_alert(original, 1)
    store.close()
    active, ended_alerts = StateStore(tmp_path / "state.sqlite", keep_ended=10).load_alerts()
    assert [(item.alert, item.next_sequence) for item in active] == [(original, 1)]
    assert ended_alerts == []


def test_the_next_sequence_only_grows(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.sqlite", keep_ended=10)
    store.save_alert(alert(), 3)
    store.save_alert(replace(alert(), summary="an outcome was recorded"), 0)
    active, _ = store.load_alerts()
    assert active[0].next_sequence == 3 and active[0].alert.summary == "an outcome was recorded"


def test_ended_alerts_are_pruned_to_the_newest(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.sqlite", keep_ended=2)
    for index, name in enumerate(("a", "b", "c")):
        store.save_alert(ended(alert(name, float(index)), 10.0 + index), 1)
    store.save_alert(alert("live"), 1)
    active, ended_alerts = store.load_alerts()
    assert [a.alert_id for a in ended_alerts] == ["c", "b"]
    assert [item.alert.alert_id for item in active] == ["live"]
    rows = sqlite3.connect(tmp_path / "state.sqlite").execute("SELECT COUNT(*) FROM alerts").fetchone()
    assert rows == (3,)


def test_an_unreadable_row_is_skipped_and_the_rest_load(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = StateStore(tmp_path / "state.sqlite", keep_ended=10)
    store.save_alert(alert("good"), 1)
    with sqlite3.connect(tmp_path / "state.sqlite") as db:
        db.execute("INSERT INTO alerts VALUES ('bad', 'active', 1, 0.5, NULL, '{\"alert_id\": 1}')")
    active, _ = store.load_alerts()
    assert [item.alert.alert_id for item in active] == ["good"]
    assert "alert bad" in caplog.text and "unreadable" in caplog.text


def test_a_store_that_cannot_open_says_where(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StateStoreError, match=r"cannot open state store .*file/state\.sqlite"):
        StateStore(blocker / "state.sqlite", keep_ended=10)


def test_the_book_starts_from_the_store_and_writes_through(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    book = AlertBook(2, StateStore(path, keep_ended=2))
    book.apply(AlertChange("new", alert("open"), None, 0))
    book.apply(AlertChange("update", replace(alert("open"), updates=1), None, 1))
    book.record_action("open", ActionOutcome("open/0/event", "event", "delivered", 1, 0.4, "", 2.0))
    book.apply(AlertChange("new", alert("closed"), None, 0))
    book.apply(AlertChange("end", ended(alert("closed"), 5.0), None, 1))
    reopened = AlertBook(2, StateStore(path, keep_ended=2))
    [resumable] = reopened.resumable()
    assert resumable.alert.alert_id == "open" and resumable.next_sequence == 2
    assert resumable.alert.updates == 1 and [a.key for a in resumable.alert.actions] == ["open/0/event"]
    assert [a.alert_id for a in reopened.active()] == ["open"]
    assert [a.alert_id for a in reopened.recent()] == ["closed"]


def test_a_failed_write_keeps_the_book_going(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = StateStore(tmp_path / "state.sqlite", keep_ended=2)
    book = AlertBook(2, store)
    store.close()  # every write fails from now on
    book.apply(AlertChange("new", alert(), None, 0))
    assert [a.alert_id for a in book.active()] == ["a1"]
    assert "cannot write alert a1" in caplog.text
