"""Outbox: idempotent enqueue, due order, doubling backoff, dead letters, bounds, durability."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.pipeline.actions.outbox import Outbox
from service.pipeline.settings import OutboxSettings


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def outbox(tmp_path: Path, clock: Clock, **settings: object) -> Outbox:
    return Outbox(tmp_path / "state" / "outbox.sqlite", OutboxSettings.model_validate(settings), clock)


def test_enqueue_is_idempotent_per_key(tmp_path: Path) -> None:
    box = outbox(tmp_path, Clock())
    assert box.enqueue("a/0/command", "command", "a", "{}")
    assert not box.enqueue("a/0/command", "command", "a", '{"other": 1}')
    assert box.counts() == {"pending": 1, "delivered": 0, "dead": 0}


def test_due_returns_the_oldest_of_a_kind(tmp_path: Path) -> None:
    box = outbox(tmp_path, Clock())
    box.enqueue("k1", "event", "a", "1")
    box.enqueue("k2", "command", "a", "2")
    box.enqueue("k3", "event", "a", "3")
    item = box.due("event", 1000.0)
    assert item is not None and item.key == "k1"
    box.mark_delivered(item.row_id, 1.5, "id-1")
    item = box.due("event", 1000.0)
    assert item is not None and item.key == "k3"
    assert box.items("delivered")[0].result == "id-1"


@pytest.mark.parametrize(("attempt", "delay"), [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (8, 10.0)])
def test_backoff_doubles_up_to_the_cap(tmp_path: Path, attempt: int, delay: float) -> None:
    clock = Clock()
    box = outbox(tmp_path, clock, BackoffInitialS=0.5, BackoffMaxS=10, MaxAttempts=100)
    box.enqueue("k", "command", "a", "{}")
    for _ in range(attempt):
        item = box.due("command", clock.now + 1e6)
        assert item is not None
        failed = box.mark_failed(item.row_id, "refused", permanent=False, latency_ms=1.0)
    assert failed.state == "pending" and failed.attempts == attempt
    assert failed.next_attempt_s == pytest.approx(clock.now + delay)
    assert box.due("command", clock.now + delay - 0.01) is None
    assert box.next_due_s("command") == pytest.approx(clock.now + delay)


def test_dead_letters_after_max_attempts_or_a_permanent_refusal(tmp_path: Path) -> None:
    box = outbox(tmp_path, Clock(), MaxAttempts=2)
    box.enqueue("k1", "command", "a", "{}")
    box.enqueue("k2", "command", "a", "{}")
    first = box.due("command", 1e9)
    assert first is not None
    assert box.mark_failed(first.row_id, "x", permanent=False, latency_ms=0).state == "pending"
    assert box.mark_failed(first.row_id, "x", permanent=False, latency_ms=0).state == "dead"
    second = box.due("command", 1e9)
    assert second is not None and second.key == "k2"
    dead = box.mark_failed(second.row_id, "404 no such device", permanent=True, latency_ms=0)
    assert dead.state == "dead" and dead.last_error == "404 no such device"
    assert box.counts()["dead"] == 2 and box.due("command", 1e9) is None


def test_overflow_moves_the_oldest_pending_to_dead(tmp_path: Path) -> None:
    box = outbox(tmp_path, Clock(), MaxPending=2)
    for key in ("k1", "k2", "k3"):
        box.enqueue(key, "event", "a", "{}")
    assert box.counts() == {"pending": 2, "delivered": 0, "dead": 1}
    assert box.items("dead")[0].key == "k1" and "overflow" in box.items("dead")[0].last_error


def test_delivered_and_dead_rows_are_pruned(tmp_path: Path) -> None:
    box = outbox(tmp_path, Clock(), KeepDelivered=2)
    for index in range(5):
        box.enqueue(f"k{index}", "event", "a", "{}")
        item = box.due("event", 1e9)
        assert item is not None
        box.mark_delivered(item.row_id, 1.0, "")
    assert [i.key for i in box.items("delivered")] == ["k4", "k3"]


def test_pending_rows_survive_a_restart(tmp_path: Path) -> None:
    clock = Clock()
    box = outbox(tmp_path, clock)
    box.enqueue("k1", "command", "alert-1", '{"device": "light"}')
    box.close()
    reopened = outbox(tmp_path, clock)
    item = reopened.due("command", clock.now)
    assert item is not None and (item.key, item.alert_id, item.payload) == (
        "k1",
        "alert-1",
        '{"device": "light"}',
    )
    assert not reopened.enqueue("k1", "command", "alert-1", "{}")  # still known after the restart
