"""Where alert clips live: `ClipSettings`, one `<alert id>.mp4` per alert, retention by age and size.

Retention runs after each write (`prune`, called by the recorders) and every `PruneEveryS` on the
store's own thread (`start`/`close`), so clips also age out while no alert comes. The oldest clips
go first. Writers' leftover `.part` files (a crash mid-write) are removed once older than MaxAgeS.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field

from service.strict import StrictModel

logger = logging.getLogger(__name__)

_ALERT_ID = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}")  # no leading dot: no "..", no .part clash
_SUFFIX = ".mp4"
_PART_GLOB = ".*.part"


class ClipSettings(StrictModel):
    """Clips of alerts: pre-roll ring per camera, post-roll, where they are kept and for how long."""

    Enabled: bool = Field(default=True, description="Off: no ring is kept and no clip is written.")
    Dir: str = Field(default="clips", min_length=1, description="Clip directory, relative to the state dir.")
    PreRollS: float = Field(default=5, ge=0, le=120, description="Seconds before the alert in its clip.")
    PostRollS: float = Field(default=5, ge=0, le=600, description="Seconds after the alert in its clip.")
    MaxAgeS: float = Field(default=7 * 86400, gt=0, le=366 * 86400, description="Clips older are deleted.")
    MaxBytes: int = Field(
        default=2 * 1024**3, ge=1024**2, description="Total size of all clips; oldest deleted beyond it."
    )
    MaxPreRollBytes: int = Field(
        default=32 * 1024**2, ge=64 * 1024, description="Memory for one camera's pre-roll ring."
    )
    PruneEveryS: float = Field(default=300, ge=1, le=86400, description="Retention runs at least this often.")


@dataclass(frozen=True, slots=True)
class ClipCounts:
    """What the clip directory holds (for metrics)."""

    clips: int
    bytes: int


def valid_alert_id(alert_id: str) -> bool:
    """Whether `alert_id` can name a clip file: [A-Za-z0-9._-], 1..128 chars, not starting with a dot."""
    return _ALERT_ID.fullmatch(alert_id) is not None


class ClipStore:
    """The clip directory; safe to use from several threads."""

    def __init__(self, settings: ClipSettings, state_dir: Path) -> None:
        self.directory = state_dir / settings.Dir  # an absolute Dir stays as it is
        self._max_age_s = settings.MaxAgeS
        self._max_bytes = settings.MaxBytes
        self._every_s = settings.PruneEveryS
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def target(self, alert_id: str) -> Path:
        """The path a new clip of `alert_id` goes to; ValueError for an id that cannot name a file."""
        if not valid_alert_id(alert_id):
            raise ValueError(f"alert id {alert_id!r} cannot name a clip (only [A-Za-z0-9._-])")
        self.directory.mkdir(parents=True, exist_ok=True)
        return self.directory / f"{alert_id}{_SUFFIX}"

    def path(self, alert_id: str) -> Path | None:
        """The clip of `alert_id`, or None (no clip, or an id that cannot be one)."""
        if not valid_alert_id(alert_id):
            return None
        path = self.directory / f"{alert_id}{_SUFFIX}"
        return path if path.is_file() else None

    def counts(self) -> ClipCounts:
        """Clips and their total bytes now."""
        clips = self._clips()
        return ClipCounts(len(clips), sum(size for _, size, _ in clips))

    def prune(self, now_s: float | None = None) -> int:
        """Delete clips past MaxAgeS, then the oldest until the rest fit MaxBytes; how many went."""
        now_s = time.time() if now_s is None else now_s
        with self._lock:
            clips = sorted(self._clips(), key=lambda clip: clip[2])
            total = sum(size for _, size, _ in clips)
            deleted = 0
            for path, size, mtime in clips:
                if now_s - mtime <= self._max_age_s and total <= self._max_bytes:
                    break
                path.unlink(missing_ok=True)
                total -= size
                deleted += 1
            self._remove_stale_parts(now_s)
        if deleted:
            logger.info("clips: retention deleted %d clip(s) in %s", deleted, self.directory)
        return deleted

    def start(self) -> None:
        """Run retention now and every PruneEveryS on a daemon thread until `close`."""
        self._thread = threading.Thread(target=self._run, name="clip-retention", daemon=True)
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
                logger.exception("clips: retention failed in %s", self.directory)
            self._stop.wait(self._every_s)

    def _clips(self) -> list[tuple[Path, int, float]]:
        found: list[tuple[Path, int, float]] = []
        if not self.directory.is_dir():
            return found
        for path in self.directory.glob(f"*{_SUFFIX}"):
            try:
                stat = path.stat()
            except FileNotFoundError:  # deleted meanwhile
                continue
            found.append((path, stat.st_size, stat.st_mtime))
        return found

    def _remove_stale_parts(self, now_s: float) -> None:
        for part in self.directory.glob(_PART_GLOB) if self.directory.is_dir() else []:
            try:
                if now_s - part.stat().st_mtime > self._max_age_s:
                    part.unlink(missing_ok=True)
            except FileNotFoundError:
                continue
