"""DeliveryWorker: outcomes of one attempt, and the thread delivering after a wake."""

from __future__ import annotations

from pathlib import Path

from service.pipeline.actions.delivery import DeliveryWorker
from service.pipeline.actions.outbox import Outbox, OutboxItem
from service.pipeline.errors import ActionError, PermanentActionError
from service.pipeline.settings import OutboxSettings
from service.pipeline.state.records import ActionOutcome
from tests.unit.pipeline.support import wait_for


def make(tmp_path: Path, send: object) -> tuple[Outbox, DeliveryWorker, list[ActionOutcome]]:
    box = Outbox(tmp_path / "o.sqlite", OutboxSettings(BackoffInitialS=0.05, MaxAttempts=3))
    outcomes: list[ActionOutcome] = []
    worker = DeliveryWorker(box, "command", send, lambda _item, outcome: outcomes.append(outcome))  # type: ignore[arg-type]
    return box, worker, outcomes


def test_success_marks_delivered_and_reports(tmp_path: Path) -> None:
    box, worker, outcomes = make(tmp_path, lambda item: f"done {item.key}")
    box.enqueue("k", "command", "a", "{}")
    assert worker.run_once()
    assert not worker.run_once()
    assert box.counts()["delivered"] == 1
    assert outcomes[0].outcome == "delivered" and outcomes[0].detail == "done k" and outcomes[0].attempts == 1


def test_failures_retry_then_dead_letter(tmp_path: Path) -> None:
    def refuse(_item: OutboxItem) -> str:
        raise ActionError("connection refused")

    box, worker, outcomes = make(tmp_path, refuse)
    box.enqueue("k", "command", "a", "{}")
    worker.run_once()
    assert [o.outcome for o in outcomes] == ["retrying"] and box.counts()["pending"] == 1
    assert not worker.run_once()  # not due yet: backoff
    for _ in range(2):
        assert wait_for(worker.run_once, 2)
    assert [o.outcome for o in outcomes] == ["retrying", "retrying", "dead"] and outcomes[-1].attempts == 3


def test_permanent_refusal_and_unexpected_errors(tmp_path: Path) -> None:
    def refuse(item: OutboxItem) -> str:
        if item.key == "bad":
            raise PermanentActionError("404")
        raise RuntimeError("bug")

    box, worker, outcomes = make(tmp_path, refuse)
    box.enqueue("bad", "command", "a", "{}")
    box.enqueue("bug", "command", "a", "{}")
    worker.run_once()
    worker.run_once()
    assert [o.outcome for o in outcomes] == ["dead", "retrying"]


def test_the_thread_delivers_after_wake(tmp_path: Path) -> None:
    delivered: list[str] = []

    def send(item: OutboxItem) -> str:
        delivered.append(item.key)
        return "ok"

    box, worker, _ = make(tmp_path, send)
    worker.start()
    try:
        box.enqueue("k", "command", "a", "{}")
        worker.wake()
        assert wait_for(lambda: delivered == ["k"], 3)
    finally:
        worker.stop()
