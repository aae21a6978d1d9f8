"""AlertBook: lifecycle storage, action outcomes recorded on active and ended alerts."""

from __future__ import annotations

from dataclasses import replace

from service.pipeline.state.alert_book import AlertBook
from service.pipeline.state.records import ActionOutcome, Alert, AlertChange


def alert(alert_id: str = "a1") -> Alert:
    return Alert(alert_id, "rule", "cam", "NORMAL", "person", "1 person", "active", 1.0, 1.0, 1.0)


def test_new_update_end_and_outcomes() -> None:
    book = AlertBook(keep_ended=2)
    book.apply(AlertChange("new", alert(), None, 0))
    book.record_action("a1", ActionOutcome("a1/0/command", "command", "queued", 0, None, "", 1.0))
    book.record_action("a1", ActionOutcome("a1/0/command", "command", "delivered", 1, 12.5, "200", 2.0))
    book.apply(AlertChange("update", replace(alert(), updates=1), None, 1))
    stored = book.get("a1")
    assert stored is not None and stored.updates == 1
    assert [(a.outcome, a.latency_ms) for a in stored.actions] == [("delivered", 12.5)]
    book.apply(AlertChange("end", replace(alert(), state="ended", ended_s=5.0), None, 2))
    assert book.active() == [] and book.recent()[0].state == "ended"
    book.record_action("a1", ActionOutcome("a1/2/event", "event", "delivered", 1, 0.3, "id", 6.0))
    ended = book.get("a1")
    assert ended is not None and {a.kind for a in ended.actions} == {"command", "event"}


def test_recent_alerts_are_bounded_newest_first() -> None:
    book = AlertBook(keep_ended=2)
    for name in ("a", "b", "c"):
        book.apply(AlertChange("end", replace(alert(name), state="ended"), None, 1))
    assert [a.alert_id for a in book.recent()] == ["c", "b"]
    assert book.get("a") is None


def test_snapshot_name_is_kept_across_updates() -> None:
    book = AlertBook(keep_ended=2)
    book.apply(AlertChange("new", alert(), None, 0))
    book.set_snapshot("a1", "a1.jpg")
    book.apply(AlertChange("update", alert(), None, 1))
    stored = book.get("a1")
    assert stored is not None and stored.snapshot == "a1.jpg"
