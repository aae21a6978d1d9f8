"""Demo photos from scikit-image (astronaut and camera show a person; chelsea and coffee do not)."""

from __future__ import annotations

import importlib

import cv2
import numpy as np
from numpy.typing import NDArray

from service.simulator.errors import SimulatorError

FRAME_SIZE = (640, 480)
PHOTO_NAMES = ("astronaut", "camera", "chelsea", "coffee")


def load_photo(name: str) -> NDArray[np.uint8]:
    """A photo as a 640x480 BGR frame (letterboxed); SimulatorError when scikit-image is missing."""
    if name not in PHOTO_NAMES:
        raise SimulatorError(f"unknown demo photo {name!r}; choose from {', '.join(PHOTO_NAMES)}")
    try:
        data = importlib.import_module("skimage.data")
    except ImportError as exc:
        raise SimulatorError(
            "the simulated camera shows photos from scikit-image, which is not installed; "
            "install the demo extra: .venv/bin/pip install -e '.[demo]' (make run does this)"
        ) from exc
    pixels = np.asarray(getattr(data, name)(), np.uint8)
    if pixels.ndim == 2:
        bgr = cv2.cvtColor(pixels, cv2.COLOR_GRAY2BGR)
    else:
        bgr = cv2.cvtColor(pixels[..., :3], cv2.COLOR_RGB2BGR)
    return letterbox(np.asarray(bgr, np.uint8), *FRAME_SIZE)


def letterbox(image: NDArray[np.uint8], width: int, height: int) -> NDArray[np.uint8]:
    """Fit the image inside width x height, keeping its aspect ratio, on a dark grey canvas."""
    scale = min(width / image.shape[1], height / image.shape[0])
    new_w, new_h = round(image.shape[1] * scale), round(image.shape[0] * scale)
    resized = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_AREA)
    canvas = np.full((height, width, 3), 40, np.uint8)
    x, y = (width - new_w) // 2, (height - new_h) // 2
    canvas[y : y + new_h, x : x + new_w] = resized
    return canvas


def photo_jpeg(name: str, quality: int = 85) -> bytes:
    """The photo as JPEG bytes."""
    ok, buffer = cv2.imencode(".jpg", load_photo(name), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise SimulatorError(f"cannot encode demo photo {name}")
    return bytes(buffer.tobytes())
