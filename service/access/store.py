"""Accounts, page sessions and API tokens in one small SQLite file (mode 0600) in the state directory.

Passwords are stored as argon2id hashes (passwords.py); session and API tokens, which are random
and long, as SHA-256 digests: the file never holds anything that logs anyone in.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from service.access.errors import AccountError
from service.pipeline.state.sqlite_file import open_database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY, password_hash TEXT NOT NULL, created_s REAL NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    digest TEXT PRIMARY KEY, user TEXT NOT NULL, created_s REAL NOT NULL, expires_s REAL NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY, digest TEXT NOT NULL UNIQUE, user TEXT NOT NULL, name TEXT NOT NULL,
    prefix TEXT NOT NULL, created_s REAL NOT NULL, last_used_s REAL);
"""


def digest(secret: str) -> str:
    """The SHA-256 of a session or API token, as stored."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """An API token as listed: never the token itself, only its first characters."""

    token_id: str
    user: str
    name: str
    prefix: str
    created_s: float
    last_used_s: float | None


class AccessStore:
    """The access file; one connection under a lock (sessions are looked up on every request)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
            os.chmod(path, 0o600)
        except OSError as exc:
            raise AccountError(f"cannot open access file {path}: {exc.strerror or exc}") from exc
        self._db = open_database(path, _SCHEMA, AccountError, "access file")
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # users
    def user_count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM users").fetchone()[0])

    def password_hash(self, user: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT password_hash FROM users WHERE name = ?", (user,)).fetchone()
        return str(row[0]) if row else None

    def set_user(self, user: str, password_hash: str, now_s: float) -> bool:
        """Add the user or replace its password (then its sessions end); True when it is new."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")  # one transaction: the new password and no old session
            try:
                existed = (
                    self._db.execute("SELECT 1 FROM users WHERE name = ?", (user,)).fetchone() is not None
                )
                self._db.execute(
                    "INSERT INTO users (name, password_hash, created_s) VALUES (?, ?, ?) "
                    "ON CONFLICT(name) DO UPDATE SET password_hash = excluded.password_hash",
                    (user, password_hash, now_s),
                )
                self._db.execute("DELETE FROM sessions WHERE user = ?", (user,))
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return not existed

    def users(self) -> list[str]:
        with self._lock:
            return [str(row[0]) for row in self._db.execute("SELECT name FROM users ORDER BY name")]

    # sessions
    def add_session(self, secret: str, user: str, now_s: float, expires_s: float) -> None:
        with self._lock:
            self._db.execute("DELETE FROM sessions WHERE expires_s <= ?", (now_s,))
            self._db.execute(
                "INSERT INTO sessions (digest, user, created_s, expires_s) VALUES (?, ?, ?, ?)",
                (digest(secret), user, now_s, expires_s),
            )

    def session_user(self, secret: str, now_s: float) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT user FROM sessions WHERE digest = ? AND expires_s > ?", (digest(secret), now_s)
            ).fetchone()
        return str(row[0]) if row else None

    def end_session(self, secret: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM sessions WHERE digest = ?", (digest(secret),))

    # API tokens
    def add_token(self, record: TokenRecord, secret: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO tokens (id, digest, user, name, prefix, created_s) VALUES (?, ?, ?, ?, ?, ?)",
                (record.token_id, digest(secret), record.user, record.name, record.prefix, record.created_s),
            )

    def token_user(self, secret: str, now_s: float) -> str | None:
        """The user of an API token (its last use is noted at most once a minute)."""
        with self._lock:
            row = self._db.execute(
                "SELECT user, id, last_used_s FROM tokens WHERE digest = ?", (digest(secret),)
            ).fetchone()
            if row is None:
                return None
            if row[2] is None or now_s - float(row[2]) > 60:
                self._db.execute("UPDATE tokens SET last_used_s = ? WHERE id = ?", (now_s, row[1]))
        return str(row[0])

    def tokens(self, user: str) -> list[TokenRecord]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, user, name, prefix, created_s, last_used_s FROM tokens WHERE user = ? "
                "ORDER BY created_s",
                (user,),
            ).fetchall()
        return [TokenRecord(str(r[0]), str(r[1]), str(r[2]), str(r[3]), float(r[4]), r[5]) for r in rows]

    def revoke_token(self, user: str, token_id: str) -> bool:
        with self._lock:
            cursor = self._db.execute("DELETE FROM tokens WHERE id = ? AND user = ?", (token_id, user))
        return cursor.rowcount > 0
