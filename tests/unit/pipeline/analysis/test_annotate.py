"""Snapshots: pixelated faces, drawn boxes, head fallback, the store's files and bounds."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from service.pipeline.analysis.annotate import annotate, encode_jpeg, head_boxes, pixelate
from service.pipeline.analysis.sighting import Sighting
from service.pipeline.settings import SnapshotSettings
from service.pipeline.state.snapshot_store import SnapshotStore


def noisy(width: int = 200, height: int = 200) -> np.ndarray:
    return np.random.default_rng(1).integers(0, 255, (height, width, 3), dtype=np.uint8)


def sighting(box: tuple[float, float, float, float], label: str = "person") -> Sighting:
    return Sighting("person", label, 0.9, box, (), 1, False, (0.9,))


def test_pixelate_flattens_the_face_and_nothing_else() -> None:
    image = noisy()
    original = image.copy()
    pixelate(image, [(40.0, 40.0, 120.0, 120.0)], scale=2.0)  # source px -> image px 20..60
    face = image[20:60, 20:60].astype(float)
    assert face.std() < original[20:60, 20:60].astype(float).std() / 2
    assert np.array_equal(image[100:, 100:], original[100:, 100:])


def test_annotate_draws_on_a_copy() -> None:
    image = np.zeros((100, 100, 3), np.uint8)
    out = annotate(image, [sighting((10, 10, 50, 50))], 1.0, None)
    assert image.max() == 0 and out[10, 10:50].max() > 0
    assert annotate(np.zeros((100, 100), np.uint8), [], 1.0, None).shape == (100, 100, 3)


def test_head_boxes_only_for_people() -> None:
    boxes = head_boxes([sighting((0, 100, 50, 300)), sighting((0, 0, 10, 10), label="car")])
    assert boxes == [(0, 100, 50, 100 + 200 * 0.22)]


def test_store_alert_files_and_bounds(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path / "snaps", SnapshotSettings(MaxFiles=2, LatestEveryS=1))
    jpeg = encode_jpeg(noisy(), 80)
    decoded = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert decoded is not None and decoded.shape == (200, 200, 3)
    names = [store.save(f"alert-{i}", jpeg) for i in range(3)]
    assert names[0] == "alert-0.jpg"
    assert sorted(p.name for p in (tmp_path / "snaps").glob("*.jpg")) == ["alert-1.jpg", "alert-2.jpg"]
    assert store.read("alert-2.jpg") == jpeg
    assert store.read("alert-0.jpg") is None
    assert store.read("../outbox.sqlite") is None
