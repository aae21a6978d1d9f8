"""Sensor states on disk (SQLite, beside the alerts in the state file): the table survives a restart.

Without it every Bool resource starts as false after a restart, so a door that is open when the
service comes back makes a "rising" edge on its next reading, and fusion rules open windows for a
door nobody opened. With it the next reading is compared with the last one stored. The table is
written in batches (SensorTable.flush, from the control loop about once a second), so a busy sensor
costs one row write per flush, not one per reading.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from service.pipeline.errors import StateStoreError
from service.pipeline.sensors import SensorState
from service.pipeline.sqlite_file import open_database

LOG = logging.getLogger(__name__)
_STATE = TypeAdapter(SensorState)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS sensor_states (
    device TEXT NOT NULL,
    resource TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (device, resource)
);
"""


class SensorStore:
    """Thread-safe; one SQLite connection guarded by a lock."""

    def __init__(self, path: Path) -> None:
        self._lock = threading.Lock()
        try:
            self._db = open_database(path, _SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise StateStoreError(f"cannot open state store {path} (sensor states): {exc}") from exc
        self.path = path

    def save(self, states: Iterable[SensorState]) -> None:
        """Insert or replace each state, in one transaction."""
        rows = [(s.device, s.resource, _STATE.dump_json(s).decode()) for s in states]
        with self._lock:
            try:
                with self._db:
                    self._db.execute("BEGIN")
                    self._db.executemany("INSERT OR REPLACE INTO sensor_states VALUES (?, ?, ?)", rows)
            except sqlite3.Error as exc:
                raise StateStoreError(
                    f"cannot write {len(rows)} sensor state(s) to {self.path}: {exc}"
                ) from exc

    def load(self) -> list[SensorState]:
        """Every stored state; a row that does not read as one is skipped and logged."""
        with self._lock:
            try:
                rows = self._db.execute("SELECT device, resource, body FROM sensor_states").fetchall()
            except sqlite3.Error as exc:
                raise StateStoreError(f"cannot read state store {self.path} (sensor states): {exc}") from exc
        states = []
        for device, resource, body in rows:
            try:
                states.append(_STATE.validate_json(body))
            except ValidationError as exc:
                LOG.warning(
                    "sensor state %s/%s in %s is unreadable, skipped: %s", device, resource, self.path, exc
                )
        return states

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()
