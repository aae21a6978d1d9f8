"""Snapshots kept on the box: one sealed JPEG file per alert (AES-GCM, service/at_rest.py), served
decrypted over REST only, deleted past MaxAgeS, beyond MaxBytes and beyond MaxFiles (oldest first).

Retention runs after each save and every PruneEveryS on the store's own thread (`start`/`close`),
so snapshots also age out while no alert comes. A snapshot written before sealing existed (a plain
JPEG) is sealed in place when the store opens. (A camera's latest annotated snapshot lives in
memory, in its camera state.)
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

from service.at_rest import KEY_FILE, KeyFile, Sealer, is_sealed
from service.pipeline.settings import SnapshotSettings

log = logging.getLogger(__name__)

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
    """Alert snapshots as sealed files in one directory; safe to use from several threads."""

    def __init__(self, directory: Path, settings: SnapshotSettings, sealer: Sealer | None = None) -> None:
        """`sealer` None: the key file `at-rest.key` beside `directory` (the state directory)."""
        self._dir = directory
        self._settings = settings
        self._sealer = sealer if sealer is not None else Sealer(KeyFile(directory.parent / KEY_FILE).key())
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(0o700)
        self._seal_plain_files()

    def save(self, alert_id: str, jpeg: bytes) -> str:
        """Seal and write an alert's snapshot; return its file name. Then retention runs."""
        name = f"{alert_id}.jpg"
        self._sealer.write(self._dir / name, jpeg)
        self.prune()
        return name

    def read(self, name: str) -> bytes | None:
        """A stored snapshot's JPEG by file name (names outside the directory are refused);
        SealedFileError when the file is not sealed or was altered."""
        if not _SAFE_NAME.match(name):
            return None
        path = self._dir / name
        try:
            return self._sealer.read(path)
        except FileNotFoundError:
            return None

    def prune(self, now_s: float | None = None) -> int:
        """Delete snapshots past MaxAgeS, then the oldest beyond MaxBytes or MaxFiles; how many went."""
        now_s = time.time() if now_s is None else now_s
        settings = self._settings
        with self._lock:
            files = sorted(self._files(), key=lambda file: file[2])
            total, count, deleted = sum(size for _, size, _ in files), len(files), 0
            for path, size, mtime in files:
                if (
                    now_s - mtime <= settings.MaxAgeS
                    and total <= settings.MaxBytes
                    and count <= settings.MaxFiles
                ):
                    break
                path.unlink(missing_ok=True)
                total, count, deleted = total - size, count - 1, deleted + 1
        if deleted:
            log.info("snapshots: retention deleted %d snapshot(s) in %s", deleted, self._dir)
        return deleted

    def start(self) -> None:
        """Run retention now and every PruneEveryS on a daemon thread until `close`."""
        self._thread = threading.Thread(target=self._run, name="snapshot-retention", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the retention thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.prune()
            except OSError:
                log.exception("snapshots: retention failed in %s", self._dir)
            self._stop.wait(self._settings.PruneEveryS)

    def _files(self) -> list[tuple[Path, int, float]]:
        found: list[tuple[Path, int, float]] = []
        for path in self._dir.glob("*.jpg"):
            try:
                info = path.stat()
            except FileNotFoundError:  # deleted meanwhile
                continue
            found.append((path, info.st_size, info.st_mtime))
        return found

    def _seal_plain_files(self) -> None:
        """Snapshots from before sealing (plain JPEGs) are sealed in place, keeping their age."""
        sealed = 0
        for path, _, mtime in self._files():
            data = path.read_bytes()
            if not is_sealed(data):
                self._sealer.write(path, data)
                os.utime(path, (mtime, mtime))
                sealed += 1
        if sealed:
            log.info("snapshots: sealed %d plain snapshot(s) in %s", sealed, self._dir)
