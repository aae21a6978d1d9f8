"""Test media: a real JPEG camera-like frame, written where the Go peer can read it."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def write_jpeg(directory: Path, width: int = 320, height: int = 240) -> tuple[Path, bytes]:
    """A gradient with a box on it, JPEG-encoded; returns (file, exact bytes)."""
    ys, xs = np.mgrid[0:height, 0:width]
    image = np.stack([xs * 255 // width, ys * 255 // height, (xs + ys) % 256], axis=-1).astype(np.uint8)
    cv2.rectangle(image, (width // 4, height // 4), (width // 2, height // 2), (255, 255, 255), 3)
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    data = encoded.tobytes()
    path = directory / "frame.jpg"
    path.write_bytes(data)
    return path, data
