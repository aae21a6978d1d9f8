"""The alert book: active and recently ended alerts, written through to the state store."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import replace

from service.pipeline.errors import StateStoreError
from service.pipeline.state.records import ActionOutcome, Alert, AlertChange, StoredAlert
from service.pipeline.state.state_store import StateStore

LOG = logging.getLogger(__name__)


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
        """Store the alert of a change, keeping action outcomes, snapshot and clip already recorded."""
        with self._lock:
            alert = change.alert
            known = self._active.get(alert.alert_id)
            if known is not None:
                alert = replace(
                    alert,
                    actions=known.actions,
                    snapshot=alert.snapshot or known.snapshot,
                    clip=alert.clip or known.clip,
                )
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
