"""Durable outbox (SQLite): every action is a row keyed by its idempotency key.

States: pending -> delivered, or pending -> dead (permanent refusal, too many attempts, or pushed
out by MaxPending). Enqueueing a key that exists is a no-op, so replaying an alert change never
duplicates an action. A row is marked delivered in the same thread right after the peer accepts it,
so after a restart only undelivered rows are sent again; the one window for a duplicate is a crash
between the peer's 2xx and that commit (milliseconds). WAL mode: a process crash loses nothing
committed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from service.pipeline.errors import OutboxError
from service.pipeline.settings import OutboxSettings
from service.pipeline.state.sqlite_file import open_database

State = Literal["pending", "delivered", "dead"]
STATES: tuple[State, ...] = ("pending", "delivered", "dead")
_COLUMNS = (
    "id, key, kind, alert_id, payload, state, attempts, next_attempt_s, created_s, last_error, done_s,"
    " latency_ms, result"
)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    alert_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_s REAL NOT NULL,
    created_s REAL NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    done_s REAL,
    latency_ms REAL,
    result TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, kind, next_attempt_s);
CREATE INDEX IF NOT EXISTS outbox_state ON outbox (state, id);
"""


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One stored action."""

    row_id: int
    key: str
    kind: str
    alert_id: str
    payload: str  # JSON text; its shape belongs to the action kind
    state: State
    attempts: int
    next_attempt_s: float
    created_s: float
    last_error: str
    done_s: float | None
    latency_ms: float | None
    result: str


class Outbox:
    """Thread-safe; one SQLite connection guarded by a lock (writes are tiny)."""

    def __init__(self, path: Path, settings: OutboxSettings, clock: Callable[[], float] = time.time) -> None:
        self._settings = settings
        self._clock = clock
        self._lock = threading.Lock()
        self._db = open_database(path, _SCHEMA, OutboxError, "outbox")
        self.path = path

    def enqueue(
        self, key: str, kind: str, alert_id: str, payload: str, not_before_s: float | None = None
    ) -> bool:
        """Store a pending action (due now, or at not_before_s); False when the key is already known
        (nothing stored)."""
        now = self._clock()
        due = now if not_before_s is None else max(now, not_before_s)
        with self._lock:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO outbox (key, kind, alert_id, payload, next_attempt_s, created_s)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (key, kind, alert_id, payload, due, now),
            )
            if cursor.rowcount == 0:
                return False
            self._evict_overflow(now)
            return True

    def due(self, kind: str, now_s: float) -> OutboxItem | None:
        """The oldest pending action of a kind whose retry time has come."""
        with self._lock:
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM outbox WHERE state = 'pending' AND kind = ? AND next_attempt_s <= ?"
                " ORDER BY id LIMIT 1",
                (kind, now_s),
            ).fetchone()
        return _item(row) if row is not None else None

    def next_due_s(self, kind: str) -> float | None:
        """When the next pending action of a kind becomes due, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT MIN(next_attempt_s) FROM outbox WHERE state = 'pending' AND kind = ?", (kind,)
            ).fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def pending_count(self, kind: str) -> int:
        """Pending actions of a kind (due or waiting for a retry)."""
        with self._lock:
            row = self._db.execute(
                "SELECT COUNT(*) FROM outbox WHERE state = 'pending' AND kind = ?", (kind,)
            ).fetchone()
        return int(row[0])

    def mark_delivered(self, row_id: int, latency_ms: float, result: str) -> None:
        """The peer accepted the action."""
        with self._lock:
            self._db.execute(
                "UPDATE outbox SET state = 'delivered', attempts = attempts + 1, done_s = ?, latency_ms = ?,"
                " result = ?, last_error = '' WHERE id = ?",
                (self._clock(), latency_ms, result, row_id),
            )
            self._prune("delivered", self._settings.KeepDelivered)

    def mark_failed(self, row_id: int, error: str, permanent: bool, latency_ms: float) -> OutboxItem:
        """Record a failed attempt: schedule a retry with doubling delay, or dead-letter it."""
        now = self._clock()
        with self._lock:
            row = self._db.execute("SELECT attempts FROM outbox WHERE id = ?", (row_id,)).fetchone()
            attempts = (int(row[0]) if row is not None else 0) + 1
            dead = permanent or attempts >= self._settings.MaxAttempts
            delay = min(self._settings.BackoffMaxS, self._settings.BackoffInitialS * 2 ** (attempts - 1))
            self._db.execute(
                "UPDATE outbox SET state = ?, attempts = ?, next_attempt_s = ?, last_error = ?,"
                " latency_ms = ?, done_s = ? WHERE id = ?",
                (
                    "dead" if dead else "pending",
                    attempts,
                    now + delay,
                    error[:500],
                    latency_ms,
                    now if dead else None,
                    row_id,
                ),
            )
            if dead:
                self._prune("dead", self._settings.KeepDead)
            return self._get(row_id)

    def counts(self) -> dict[State, int]:
        """Rows per state."""
        with self._lock:
            rows = self._db.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall()
        found = {str(state): int(count) for state, count in rows}
        return {state: found.get(state, 0) for state in STATES}

    def items(self, state: State, limit: int = 100) -> list[OutboxItem]:
        """Rows of a state, newest first."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM outbox WHERE state = ? ORDER BY id DESC LIMIT ?", (state, limit)
            ).fetchall()
        return [_item(row) for row in rows]

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def _get(self, row_id: int) -> OutboxItem:
        row = self._db.execute(f"SELECT {_COLUMNS} FROM outbox WHERE id = ?", (row_id,)).fetchone()
        return _item(row)

    def _evict_overflow(self, now: float) -> None:
        pending = self._db.execute("SELECT COUNT(*) FROM outbox WHERE state = 'pending'").fetchone()[0]
        excess = int(pending) - self._settings.MaxPending
        if excess > 0:
            self._db.execute(
                "UPDATE outbox SET state = 'dead', last_error = 'overflow: MaxPending reached', done_s = ?"
                " WHERE id IN (SELECT id FROM outbox WHERE state = 'pending' ORDER BY id LIMIT ?)",
                (now, excess),
            )
            self._prune("dead", self._settings.KeepDead)

    def _prune(self, state: State, keep: int) -> None:
        self._db.execute(
            "DELETE FROM outbox WHERE state = ? AND id NOT IN"
            " (SELECT id FROM outbox WHERE state = ? ORDER BY id DESC LIMIT ?)",
            (state, state, keep),
        )


def _item(row: tuple[Any, ...]) -> OutboxItem:
    (
        row_id,
        key,
        kind,
        alert_id,
        payload,
        state,
        attempts,
        next_s,
        created_s,
        error,
        done_s,
        latency,
        result,
    ) = row
    return OutboxItem(
        int(row_id),
        str(key),
        str(kind),
        str(alert_id),
        str(payload),
        _state(str(state)),
        int(attempts),
        float(next_s),
        float(created_s),
        str(error),
        None if done_s is None else float(done_s),
        None if latency is None else float(latency),
        str(result),
    )


def _state(value: str) -> State:
    for state in STATES:
        if state == value:
            return state
    raise OutboxError(f"unknown outbox state {value!r}")
