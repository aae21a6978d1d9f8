"""Reading images from files or encoded bytes into BGR uint8 arrays, with errors naming the input."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from service.vision.errors import ImageDecodeError
from service.vision.framing import Image

_REDUCED = {
    1: cv2.IMREAD_COLOR,
    2: cv2.IMREAD_REDUCED_COLOR_2,
    4: cv2.IMREAD_REDUCED_COLOR_4,
    8: cv2.IMREAD_REDUCED_COLOR_8,
}


def decode_image(data: bytes, source: str, reduction: int = 1) -> Image:
    """Decode JPEG/PNG/... bytes to BGR; reduction 2, 4 or 8 decodes at that fraction of the size."""
    flag = _REDUCED.get(reduction)
    if flag is None:
        raise ValueError(f"reduction must be one of {sorted(_REDUCED)}, got {reduction}")
    if not data:
        raise ImageDecodeError(source, "no data")
    image = cv2.imdecode(np.frombuffer(data, np.uint8), flag)
    if image is None:
        raise ImageDecodeError(source, "not a decodable image (JPEG, PNG, BMP, TIFF, WebP ...)")
    return image  # type: ignore[return-value]


def read_image(path: Path) -> Image:
    """Read an image file to BGR; a missing, unreadable or non-image file raises ImageDecodeError."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImageDecodeError(str(path), exc.strerror or type(exc).__name__) from exc
    return decode_image(data, str(path))
