"""Alerts on disk (SQLite): active and recently ended alerts survive a restart.

Without it a restart forgets every active alert: a person still in view starts a second alert (a
second command and notification for the same intrusion), and the first one never ends. With it the
rule engine resumes each active alert (rules.RuleEngine.resume): the same alert is updated, its
sequence continues (so idempotency keys stay unique), and one whose quiet period passed while the
service was down ends, late but under its own id.

Each row is one alert as the AlertBook holds it (JSON through pydantic) plus the next sequence
number of its lifecycle. WAL mode, synchronous=NORMAL, like the outbox.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from service.pipeline.alerts import Alert, StoredAlert
from service.pipeline.errors import StateStoreError
from service.pipeline.sqlite_file import open_database

LOG = logging.getLogger(__name__)
_ALERT = TypeAdapter(Alert)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    alert_id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    next_sequence INTEGER NOT NULL,
    started_s REAL NOT NULL,
    ended_s REAL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_state ON alerts (state, ended_s);
"""


class AlertStore:
    """Thread-safe; one SQLite connection guarded by a lock."""

    def __init__(self, path: Path, keep_ended: int) -> None:
        self._keep_ended = keep_ended
        self._lock = threading.Lock()
        try:
            self._db = open_database(path, _SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise StateStoreError(f"cannot open state store {path} (alerts): {exc}") from exc
        self.path = path

    def save(self, alert: Alert, next_sequence: int) -> None:
        """Insert or replace the alert; its next sequence only ever grows (pass 0 to keep it)."""
        with self._lock:
            try:
                self._write(alert, next_sequence)
            except sqlite3.Error as exc:
                raise StateStoreError(f"cannot write alert {alert.alert_id} to {self.path}: {exc}") from exc

    def _write(self, alert: Alert, next_sequence: int) -> None:
        self._db.execute(
            "INSERT INTO alerts (alert_id, state, next_sequence, started_s, ended_s, body)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (alert_id) DO UPDATE SET state = excluded.state,"
            " next_sequence = MAX(next_sequence, excluded.next_sequence), ended_s = excluded.ended_s,"
            " body = excluded.body",
            (
                alert.alert_id,
                alert.state,
                next_sequence,
                alert.started_s,
                alert.ended_s,
                _ALERT.dump_json(alert).decode(),
            ),
        )
        if alert.state == "ended":
            self._db.execute(
                "DELETE FROM alerts WHERE state = 'ended' AND alert_id NOT IN (SELECT alert_id FROM"
                " alerts WHERE state = 'ended' ORDER BY ended_s DESC LIMIT ?)",
                (self._keep_ended,),
            )

    def load(self) -> tuple[list[StoredAlert], list[Alert]]:
        """Active alerts (oldest first, with their next sequence) and ended ones (newest first).
        A row that does not read as an alert (another version wrote it) is skipped and logged."""
        with self._lock:
            try:
                rows = self._db.execute(
                    "SELECT alert_id, state, next_sequence, body FROM alerts"
                    " ORDER BY started_s, COALESCE(ended_s, 0)"
                ).fetchall()
            except sqlite3.Error as exc:
                raise StateStoreError(f"cannot read state store {self.path} (alerts): {exc}") from exc
        active: list[StoredAlert] = []
        ended: list[Alert] = []
        for alert_id, state, next_sequence, body in rows:
            try:
                alert = _ALERT.validate_json(body)
            except ValidationError as exc:
                LOG.warning("alert %s in %s is unreadable, skipped: %s", alert_id, self.path, exc)
                continue
            if state == "active":
                active.append(StoredAlert(alert, int(next_sequence)))
            else:
                ended.append(alert)
        ended.sort(key=lambda a: a.ended_s or 0.0, reverse=True)
        return active, ended[: self._keep_ended]

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()
