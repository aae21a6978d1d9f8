"""Snapshots kept on the box: one JPEG file per alert, served over REST only.

(A camera's latest annotated snapshot lives in memory, in its camera state.)
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path

from service.pipeline.settings import SnapshotSettings

_SAFE_NAME = re.compile(r"^[A-Za-z0-9._-]+\.jpg$")


class Snapshot:
    """An encoded JPEG and when it was taken. Given a render function instead of bytes, it encodes
    on first read and keeps the result: a camera's latest snapshot costs nothing until REST or an
    alert asks for it (one is made every LatestEveryS per camera, most are never looked at)."""

    __slots__ = ("_jpeg", "_lock", "_render", "taken_s")

    def __init__(self, jpeg: bytes | Callable[[], bytes], taken_s: float) -> None:
        self.taken_s = taken_s
        self._jpeg = jpeg if isinstance(jpeg, bytes) else None
        self._render = None if isinstance(jpeg, bytes) else jpeg
        self._lock = threading.Lock()

    @property
    def jpeg(self) -> bytes:
        """The JPEG (rendered now if it was not yet)."""
        with self._lock:
            if self._jpeg is None:
                assert self._render is not None
                self._jpeg, self._render = self._render(), None
            return self._jpeg


class SnapshotStore:
    """Alert snapshots as files in one directory (oldest removed beyond MaxFiles)."""

    def __init__(self, directory: Path, settings: SnapshotSettings) -> None:
        self._dir = directory
        self._settings = settings
        directory.mkdir(parents=True, exist_ok=True)

    def save(self, alert_id: str, jpeg: bytes) -> str:
        """Write an alert's snapshot; return its file name. Removes the oldest beyond MaxFiles."""
        name = f"{alert_id}.jpg"
        temporary = self._dir / f".{name}.tmp"
        temporary.write_bytes(jpeg)
        temporary.replace(self._dir / name)
        self._prune()
        return name

    def read(self, name: str) -> bytes | None:
        """A stored snapshot by file name (names outside the directory are refused)."""
        if not _SAFE_NAME.match(name):
            return None
        path = self._dir / name
        return path.read_bytes() if path.is_file() else None

    def _prune(self) -> None:
        files = sorted(self._dir.glob("*.jpg"), key=lambda p: p.stat().st_mtime)
        for path in files[: max(0, len(files) - self._settings.MaxFiles)]:
            path.unlink(missing_ok=True)
