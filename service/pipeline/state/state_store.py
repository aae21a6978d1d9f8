"""The pipeline's state file (SQLite): alerts and sensor states survive a restart.

Alerts: without them on disk a restart forgets every active alert, so a person still in view starts
a second alert (a second command and notification for the same intrusion) and the first one never
ends. With them the rule engine resumes each active alert (rules.RuleEngine.resume): the same alert
is updated, its sequence continues (so idempotency keys stay unique), one whose quiet period passed
while the service was down ends, late but under its own id, and ended ones keep their cooldown.
Each row is one alert as the AlertBook holds it (JSON through pydantic) plus the next sequence
number of its lifecycle; ended ones are pruned to the newest keep_ended.

Sensor states: without them every Bool resource starts as false after a restart, so a door that is
open when the service comes back makes a "rising" edge on its next reading, and fusion rules open
windows for a door nobody opened. The SensorTable writes them in batches (about once a second), so
a busy sensor costs one row write per flush, not one per reading.

The current mode (rules/modes.py) is one row of a small key-value table. Rules and cameras'
zones, lines and masks edited over REST are kept as numbered versions (all of them, what changed
and a diff), the newest of which is in force at the next start.

Counters (analytics): each camera's CameraCounter as its CounterState (JSON through pydantic), so line
counts, zone totals, peaks and dwell samples carry over a restart; written with the sensor states'
flush, for the cameras whose counts changed.

A row that no longer reads (another version wrote it) is skipped and logged; the rest loads.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from service.pipeline.analytics.counter_state import CounterState
from service.pipeline.errors import StateStoreError
from service.pipeline.state.records import Alert, SensorState, StoredAlert
from service.pipeline.state.sqlite_file import open_database

LOG = logging.getLogger(__name__)
T = TypeVar("T")
_ALERT = TypeAdapter(Alert)
_SENSOR_STATE = TypeAdapter(SensorState)
_COUNTER_STATE = TypeAdapter(CounterState)
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
CREATE TABLE IF NOT EXISTS sensor_states (
    device TEXT NOT NULL,
    resource TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (device, resource)
);
CREATE TABLE IF NOT EXISTS config_versions (
    version INTEGER PRIMARY KEY,
    at_s REAL NOT NULL,
    change TEXT NOT NULL,
    config TEXT NOT NULL,
    diff TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS kv (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (
    camera TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
"""


class StateStore:
    """Thread-safe; one SQLite connection guarded by a lock."""

    def __init__(self, path: Path, keep_ended: int) -> None:
        self._keep_ended = keep_ended
        self._lock = threading.Lock()
        self._db = open_database(path, _SCHEMA, StateStoreError, "state store")
        self.path = path

    def save_alert(self, alert: Alert, next_sequence: int) -> None:
        """Insert or replace the alert; its next sequence only ever grows (pass 0 to keep it)."""
        with self._lock:
            try:
                self._write_alert(alert, next_sequence)
            except sqlite3.Error as exc:
                raise StateStoreError(f"cannot write alert {alert.alert_id} to {self.path}: {exc}") from exc

    def load_alerts(self) -> tuple[list[StoredAlert], list[Alert]]:
        """Active alerts (oldest first, with their next sequence) and ended ones (newest first)."""
        active: list[StoredAlert] = []
        ended: list[Alert] = []
        for alert_id, state, next_sequence, body in self._select(
            "SELECT alert_id, state, next_sequence, body FROM alerts ORDER BY started_s"
        ):
            alert = self._parse(_ALERT, body, f"alert {alert_id}")
            if alert is None:
                continue
            if state == "active":
                active.append(StoredAlert(alert, int(next_sequence)))
            else:
                ended.append(alert)
        ended.sort(key=lambda a: a.ended_s or 0.0, reverse=True)
        return active, ended[: self._keep_ended]

    def save_sensor_states(self, states: Iterable[SensorState]) -> None:
        """Insert or replace each state, in one transaction."""
        rows = [(s.device, s.resource, _SENSOR_STATE.dump_json(s).decode()) for s in states]
        with self._lock:
            try:
                with self._db:
                    self._db.execute("BEGIN")
                    self._db.executemany("INSERT OR REPLACE INTO sensor_states VALUES (?, ?, ?)", rows)
            except sqlite3.Error as exc:
                raise StateStoreError(
                    f"cannot write {len(rows)} sensor state(s) to {self.path}: {exc}"
                ) from exc

    def load_sensor_states(self) -> list[SensorState]:
        """Every stored sensor state."""
        rows = self._select("SELECT device, resource, body FROM sensor_states")
        parsed = (self._parse(_SENSOR_STATE, body, f"sensor state {dev}/{res}") for dev, res, body in rows)
        return [state for state in parsed if state is not None]

    def add_config_version(self, at_s: float, change: str, config_json: str, diff: str) -> int:
        """Store the editable configuration as a new version (numbered from 1); returns its number."""
        with self._lock:
            try:
                with self._db:
                    cursor = self._db.execute(
                        "INSERT INTO config_versions (version, at_s, change, config, diff) VALUES"
                        " ((SELECT COALESCE(MAX(version), 0) + 1 FROM config_versions), ?, ?, ?, ?)",
                        (at_s, change, config_json, diff),
                    )
                    return int(cursor.lastrowid or 0)
            except sqlite3.Error as exc:
                raise StateStoreError(f"cannot write a configuration version to {self.path}: {exc}") from exc

    def config_versions(self) -> list[tuple[int, float, str, str, str]]:
        """(version, at_s, change, configuration JSON, diff), oldest first."""
        rows = self._select(
            "SELECT version, at_s, change, config, diff FROM config_versions ORDER BY version"
        )
        return [(int(v), float(at), str(c), str(r), str(d)) for v, at, c, r, d in rows]

    def save_value(self, key: str, value: str) -> None:
        """Insert or replace one small value (the current mode, ...)."""
        with self._lock:
            try:
                with self._db:
                    self._db.execute("INSERT OR REPLACE INTO kv VALUES (?, ?)", (key, value))
            except sqlite3.Error as exc:
                raise StateStoreError(f"cannot write {key} to {self.path}: {exc}") from exc

    def load_value(self, key: str) -> str | None:
        """A value stored by save_value, or None."""
        rows = self._select_with("SELECT value FROM kv WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def save_counters(self, counters: Iterable[tuple[str, CounterState]]) -> None:
        """Insert or replace each camera's counter state, in one transaction."""
        rows = [(camera, state.model_dump_json()) for camera, state in counters]
        with self._lock:
            try:
                with self._db:
                    self._db.execute("BEGIN")
                    self._db.executemany("INSERT OR REPLACE INTO counters VALUES (?, ?)", rows)
            except sqlite3.Error as exc:
                raise StateStoreError(f"cannot write {len(rows)} counter(s) to {self.path}: {exc}") from exc

    def load_counters(self) -> dict[str, CounterState]:
        """Every stored counter state by camera (unreadable ones skipped and logged)."""
        rows = self._select("SELECT camera, body FROM counters")
        parsed = (
            (camera, self._parse(_COUNTER_STATE, body, f"counter of {camera}")) for camera, body in rows
        )
        return {camera: state for camera, state in parsed if state is not None}

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def _write_alert(self, alert: Alert, next_sequence: int) -> None:
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

    def _select(self, sql: str) -> list[Any]:
        return self._select_with(sql, ())

    def _select_with(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise StateStoreError(f"cannot read state store {self.path}: {exc}") from exc

    def _parse(self, adapter: TypeAdapter[T], body: str, what: str) -> T | None:
        try:
            return adapter.validate_json(body)
        except ValidationError as exc:
            LOG.warning("%s in %s is unreadable, skipped: %s", what, self.path, exc)
            return None
