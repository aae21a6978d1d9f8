"""Outbox delivery: one thread per action kind, so a peer that is down delays only its own actions.

This is the edge where delivery errors are caught: each failed attempt is logged once (WARNING on
the first failure, ERROR when dead-lettered), counted through the outcome callback, and retried
with the outbox's doubling backoff.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from service.pipeline.actions.outbox import Outbox, OutboxItem
from service.pipeline.errors import ActionError, PermanentActionError
from service.pipeline.state.records import ActionOutcome

LOG = logging.getLogger(__name__)
Sender = Callable[[OutboxItem], str]  # delivers one action, returns a short result; raises ActionError
OutcomeHandler = Callable[[OutboxItem, ActionOutcome], None]
IDLE_WAIT_S = 1.0


class DeliveryWorker:
    """Delivers the due actions of one kind, oldest first."""

    def __init__(
        self,
        outbox: Outbox,
        kind: str,
        send: Sender,
        on_outcome: OutcomeHandler,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.kind = kind
        self._outbox = outbox
        self._send = send
        self._on_outcome = on_outcome
        self._clock = clock
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"outbox-{kind}", daemon=True)

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def wake(self) -> None:
        """Look for due actions now (called after an enqueue)."""
        self._wake.set()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop after the attempt in progress."""
        self.request_stop()
        self.join(timeout_s)

    def request_stop(self) -> None:
        """Ask the thread to stop after the attempt in progress (returns at once)."""
        self._stop.set()
        self._wake.set()

    def join(self, timeout_s: float) -> None:
        """Wait for the thread to end."""
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def run_once(self) -> bool:
        """Deliver one due action if there is one; True when something was attempted."""
        item = self._outbox.due(self.kind, self._clock())
        if item is None:
            return False
        started = time.perf_counter()
        try:
            result = self._send(item)
        except PermanentActionError as exc:
            self._failed(item, exc, permanent=True, started=started)
        except ActionError as exc:
            self._failed(item, exc, permanent=False, started=started)
        except Exception as exc:  # an unexpected bug in a sender must not kill the worker
            LOG.exception("outbox %s: unexpected error delivering %s", self.kind, item.key)
            self._failed(item, exc, permanent=False, started=started)
        else:
            latency_ms = (time.perf_counter() - started) * 1000
            self._outbox.mark_delivered(item.row_id, latency_ms, result)
            outcome = ActionOutcome(
                item.key, item.kind, "delivered", item.attempts + 1, latency_ms, result, self._clock()
            )
            self._on_outcome(item, outcome)
        return True

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self.run_once():
                    continue
            except Exception:  # the outbox itself failed (disk, closed at shutdown): log, pause, retry
                if self._stop.is_set():
                    return
                LOG.exception("outbox %s: delivery loop error", self.kind)
                self._wake.wait(IDLE_WAIT_S)
                continue
            next_due = self._outbox.next_due_s(self.kind)
            wait = IDLE_WAIT_S if next_due is None else min(IDLE_WAIT_S, max(0.0, next_due - self._clock()))
            self._wake.wait(wait)
            self._wake.clear()

    def _failed(self, item: OutboxItem, exc: Exception, permanent: bool, started: float) -> None:
        latency_ms = (time.perf_counter() - started) * 1000
        updated = self._outbox.mark_failed(item.row_id, str(exc), permanent, latency_ms)
        if updated.state == "dead":
            LOG.error(
                "outbox %s: %s dead-lettered after %d attempt(s): %s",
                self.kind,
                item.key,
                updated.attempts,
                exc,
            )
        elif updated.attempts == 1:
            LOG.warning("outbox %s: %s failed, retrying with backoff: %s", self.kind, item.key, exc)
        else:
            LOG.debug("outbox %s: %s attempt %d failed: %s", self.kind, item.key, updated.attempts, exc)
        outcome = ActionOutcome(
            item.key,
            item.kind,
            "dead" if updated.state == "dead" else "retrying",
            updated.attempts,
            latency_ms,
            str(exc)[:200],
            self._clock(),
        )
        self._on_outcome(item, outcome)
