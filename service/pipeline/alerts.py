"""Alerts with a stable id and a lifecycle (new -> update* -> end), and the book that keeps them."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from service.pipeline.conditions import FrameView, Sighting
from service.pipeline.errors import StateStoreError

if TYPE_CHECKING:
    from service.pipeline.state_store import StateStore

LOG = logging.getLogger(__name__)
Transition = Literal["new", "update", "end"]


@dataclass(frozen=True, slots=True)
class ActionOutcome:
    """Latest known state of one action of an alert (kept on the alert for REST and the UI)."""

    key: str  # the outbox idempotency key
    kind: str  # event, command, notification
    outcome: Literal["queued", "delivered", "retrying", "dead"]
    attempts: int
    latency_ms: float | None  # duration of the successful (or last) attempt
    detail: str
    at_s: float


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert of a rule on a camera ('' for sensor rules)."""

    alert_id: str
    rule: str
    camera: str
    severity: str
    model: str
    summary: str
    state: Literal["active", "ended"]
    started_s: float
    updated_s: float
    last_match_s: float
    updates: int = 0
    ended_s: float | None = None
    sightings: tuple[Sighting, ...] = ()
    latency_s: float | None = None  # frame-to-result latency of the frame that caused the last change
    snapshot: str = ""  # file name under the snapshot directory
    actions: tuple[ActionOutcome, ...] = ()


@dataclass(frozen=True, slots=True)
class AlertChange:
    """A lifecycle transition produced by the rule engine."""

    transition: Transition
    alert: Alert
    frame: FrameView | None  # the frame that caused it (None for sensor, window and quiet-period changes)
    sequence: int  # 0 for new, 1.. for updates, then the end: unique per alert, used in idempotency keys


@dataclass(frozen=True, slots=True)
class StoredAlert:
    """An active alert read back from disk, and the sequence its next change takes."""

    alert: Alert
    next_sequence: int


class AlertBook:
    """Thread-safe store of active and recently ended alerts (REST reads, outbox writes outcomes).

    With a store, every change is written through to disk and the book starts from what is there;
    a failed write is logged and the book carries on in memory (actions have their own outbox)."""

    def __init__(self, keep_ended: int, store: StateStore | None = None) -> None:
        self._active: OrderedDict[str, Alert] = OrderedDict()
        self._ended: deque[Alert] = deque(maxlen=keep_ended)
        self._lock = threading.Lock()
        self._store = store
        self._resumable: list[StoredAlert] = []
        if store is not None:
            self._resumable, ended = store.load_alerts()
            self._active.update((item.alert.alert_id, item.alert) for item in self._resumable)
            self._ended.extend(ended)

    def resumable(self) -> list[StoredAlert]:
        """The active alerts the store held at start, oldest first, for the rule engine to resume."""
        return list(self._resumable)

    def apply(self, change: AlertChange) -> Alert:
        """Store the alert of a change, keeping action outcomes and snapshot already recorded."""
        with self._lock:
            alert = change.alert
            known = self._active.get(alert.alert_id)
            if known is not None:
                alert = replace(alert, actions=known.actions, snapshot=alert.snapshot or known.snapshot)
            if change.transition == "end":
                self._active.pop(alert.alert_id, None)
                self._ended.appendleft(alert)
            else:
                self._active[alert.alert_id] = alert
            self._save(alert, change.sequence + 1)
            return alert

    def set_snapshot(self, alert_id: str, name: str) -> None:
        """Attach a snapshot file name to an alert."""
        self._modify(alert_id, lambda alert: replace(alert, snapshot=name))

    def record_action(self, alert_id: str, outcome: ActionOutcome) -> None:
        """Record (or replace, by key) an action outcome on an alert, active or ended."""

        def merge(alert: Alert) -> Alert:
            others = tuple(a for a in alert.actions if a.key != outcome.key)
            return replace(alert, actions=(*others, outcome))

        self._modify(alert_id, merge)

    def get(self, alert_id: str) -> Alert | None:
        """An alert by id."""
        with self._lock:
            if alert_id in self._active:
                return self._active[alert_id]
            return next((a for a in self._ended if a.alert_id == alert_id), None)

    def active(self) -> list[Alert]:
        """Active alerts, oldest first."""
        with self._lock:
            return list(self._active.values())

    def recent(self) -> list[Alert]:
        """Ended alerts, newest first."""
        with self._lock:
            return list(self._ended)

    def _modify(self, alert_id: str, change: Callable[[Alert], Alert]) -> None:
        with self._lock:
            if alert_id in self._active:
                self._active[alert_id] = changed = change(self._active[alert_id])
                self._save(changed, 0)
                return
            for index, alert in enumerate(self._ended):
                if alert.alert_id == alert_id:
                    self._ended[index] = changed = change(alert)
                    self._save(changed, 0)
                    return

    def _save(self, alert: Alert, next_sequence: int) -> None:
        """Write through (under the book's lock, so disk and memory change in the same order)."""
        if self._store is None:
            return
        try:
            self._store.save_alert(alert, next_sequence)
        except StateStoreError as exc:
            LOG.warning("%s (kept in memory)", exc)
