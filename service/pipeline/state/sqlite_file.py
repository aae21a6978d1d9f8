"""One SQLite file as the pipeline keeps its durable state (outbox, alerts, sensor states)."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def open_database(path: Path, schema: str, error: type[Exception], what: str) -> sqlite3.Connection:
    """Create the directory and the tables if needed; one connection for use under the caller's lock.
    A file that cannot be opened raises `error` ("cannot open <what> <path>: <reason>").

    Autocommit (each statement commits unless the caller opens a transaction), WAL with
    synchronous=NORMAL: a process crash loses nothing committed, a power cut at most the last
    commits."""
    try:
        return _open(path, schema)
    except (OSError, sqlite3.Error) as exc:
        raise error(f"cannot open {what} {path}: {exc}") from exc


def _open(path: Path, schema: str) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(schema)
    except sqlite3.Error:
        db.close()
        raise
    return db
