"""Annotated snapshots: boxes drawn, faces pixelated when privacy is on, kept on the box.

Latest snapshot per camera lives in memory; alert snapshots are JPEG files in the state
directory (oldest removed beyond MaxFiles) and are served over REST only.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
from numpy.typing import NDArray

from service.pipeline.conditions import Sighting
from service.pipeline.settings import SnapshotSettings
from service.pipeline.tracking import Box

Image = NDArray[np.uint8]
_SAFE_NAME = re.compile(r"^[A-Za-z0-9._-]+\.jpg$")
_GREEN = (60, 200, 60)
_ORANGE = (0, 140, 255)
PIXEL_BLOCKS = 8  # a blurred face becomes an 8x8 mosaic: unreadable, still visibly "a face"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """An encoded JPEG and when it was taken."""

    jpeg: bytes
    taken_s: float


class Labelled(Protocol):
    """Anything with a label and a source-pixel box (Observation, Sighting)."""

    @property
    def label(self) -> str: ...

    @property
    def box(self) -> Box: ...


def head_boxes(found: Sequence[Labelled]) -> list[Box]:
    """Fallback face areas when no face model runs: the top fifth of each person box."""
    boxes: list[Box] = []
    for s in found:
        if s.label == "person":
            x1, y1, x2, y2 = s.box
            boxes.append((x1, y1, x2, y1 + max(1.0, (y2 - y1) * 0.22)))
    return boxes


def pixelate(image: Image, boxes: Sequence[Box], scale: float) -> None:
    """Mosaic each box (source pixels; image is source / scale) in place."""
    height, width = image.shape[:2]
    for box in boxes:
        x1, y1 = max(0, int(box[0] / scale)), max(0, int(box[1] / scale))
        x2, y2 = min(width, int(np.ceil(box[2] / scale))), min(height, int(np.ceil(box[3] / scale)))
        if x2 - x1 < 2 or y2 - y1 < 2:
            continue
        region = image[y1:y2, x1:x2]
        small = cv2.resize(region, (PIXEL_BLOCKS, PIXEL_BLOCKS), interpolation=cv2.INTER_AREA)
        image[y1:y2, x1:x2] = cv2.resize(small, (x2 - x1, y2 - y1), interpolation=cv2.INTER_NEAREST)


def annotate(image: Image, sightings: Sequence[Sighting], scale: float, faces: Sequence[Box] | None) -> Image:
    """A copy of the image with faces pixelated (when faces is not None) and boxes drawn."""
    out: Image = np.ascontiguousarray(image.copy())
    if out.ndim == 2:
        out = np.asarray(cv2.cvtColor(out, cv2.COLOR_GRAY2BGR), np.uint8)
    if faces is not None:
        pixelate(out, faces, scale)
    thickness = max(1, round(max(out.shape[:2]) / 320))
    for s in sightings:
        p1 = (int(s.box[0] / scale), int(s.box[1] / scale))
        p2 = (int(s.box[2] / scale), int(s.box[3] / scale))
        colour = _ORANGE if s.stationary else _GREEN
        cv2.rectangle(out, p1, p2, colour, thickness)
        text = f"{s.label} {s.score:.2f}"
        cv2.putText(
            out,
            text,
            (p1[0] + 2, max(12, p1[1] - 4)),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.4 * thickness,
            colour,
            thickness,
            cv2.LINE_AA,
        )
    return out


def encode_jpeg(image: Image, quality: int) -> bytes:
    """JPEG bytes of a BGR image."""
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("cv2.imencode failed")
    return bytes(buffer.tobytes())


class SnapshotStore:
    """Latest snapshot per camera (memory) and alert snapshots (files); thread-safe."""

    def __init__(self, directory: Path, settings: SnapshotSettings) -> None:
        self._dir = directory
        self._settings = settings
        self._latest: dict[str, Snapshot] = {}
        self._lock = threading.Lock()
        directory.mkdir(parents=True, exist_ok=True)

    def set_latest(self, camera: str, snapshot: Snapshot) -> None:
        """Replace a camera's latest snapshot."""
        with self._lock:
            self._latest[camera] = snapshot

    def latest(self, camera: str) -> Snapshot | None:
        """A camera's latest snapshot."""
        with self._lock:
            return self._latest.get(camera)

    def due(self, camera: str, now_s: float) -> bool:
        """Whether the camera's latest snapshot is older than LatestEveryS."""
        with self._lock:
            known = self._latest.get(camera)
        return known is None or now_s - known.taken_s >= self._settings.LatestEveryS

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
