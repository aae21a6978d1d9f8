"""Host-side geometry: fit a frame to a model input (letterbox or stretch), undo it, cut crops.

Resizing happens on the host with cv2 because, for large frames, it is faster than folding the
resize into the graph (MODELS.md section 3); colour, layout and normalisation are in the graph.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray

from service.vision.detection import Detections, FloatArray

Image = NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class Framing:
    """Maps model-input pixels back to source pixels: src = (inp - pad) / scale.

    A camera's frames all share one Framing object (see framing_for), which carries its mapping
    as x1,y1,x2,y2 rows, so nothing about it is built or hashed per frame."""

    scale_x: float
    scale_y: float
    pad_x: float
    pad_y: float
    source_width: int
    source_height: int
    _offset: FloatArray | None = field(init=False, compare=False, repr=False)  # None: the identity
    _factor: FloatArray = field(init=False, compare=False, repr=False)
    _limit: FloatArray = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        limit = np.array([self.source_width, self.source_height] * 2, np.float32)
        identity = self.scale_x == self.scale_y == 1 and self.pad_x == self.pad_y == 0
        factor = np.array([self.scale_x, self.scale_y] * 2, np.float32)
        offset = np.array([self.pad_x, self.pad_y] * 2, np.float32)
        object.__setattr__(self, "_offset", None if identity else offset)
        object.__setattr__(self, "_factor", factor)
        object.__setattr__(self, "_limit", limit)

    def to_source(self, found: Detections) -> Detections:
        """Detections in source-image pixels, clipped to the image."""
        if not len(found):
            return found
        offset, factor, limit = self._offset, self._factor, self._limit
        if offset is None:
            boxes = np.clip(found.boxes, 0, limit)
            return Detections(boxes, found.scores, found.class_ids, found.keypoints, found.labels)
        boxes = (found.boxes - offset) / factor
        np.clip(boxes, 0, limit, out=boxes)
        points = (found.keypoints - offset[:2]) / factor[:2]
        return Detections(boxes, found.scores, found.class_ids, points, found.labels)


@functools.lru_cache(maxsize=256)
def framing_for(
    scale_x: float, scale_y: float, pad_x: float, pad_y: float, source_width: int, source_height: int
) -> Framing:
    """The one Framing with these values (a camera's frames all map back the same way)."""
    return Framing(scale_x, scale_y, pad_x, pad_y, source_width, source_height)


_TO_BGR = {1: cv2.COLOR_GRAY2BGR, 4: cv2.COLOR_BGRA2BGR}


def as_bgr(image: NDArray[np.generic]) -> Image:
    """A 3-channel uint8 BGR view of a grey, BGR or BGRA image (copies only when needed)."""
    if image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 image, got {image.dtype}")
    pixels: Image = image  # type: ignore[assignment]
    channels = 1 if pixels.ndim == 2 else pixels.shape[2] if pixels.ndim == 3 else 0
    if channels == 3:
        return pixels
    if channels in _TO_BGR and min(pixels.shape[:2]) > 0:
        return cv2.cvtColor(pixels, _TO_BGR[channels])  # type: ignore[return-value]
    raise ValueError(f"expected an HxW, HxWx1, HxWx3 or HxWx4 image, got shape {image.shape}")


def stretch(image: Image, width: int, height: int) -> tuple[Image, Framing]:
    """Resize to width x height ignoring the aspect ratio."""
    source_height, source_width = image.shape[:2]
    if (source_width, source_height) == (width, height):
        return image, framing_for(1.0, 1.0, 0.0, 0.0, source_width, source_height)
    resized = cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)
    framing = framing_for(width / source_width, height / source_height, 0.0, 0.0, source_width, source_height)
    return resized, framing  # type: ignore[return-value]


def letterbox(image: Image, width: int, height: int) -> tuple[Image, Framing]:
    """Resize keeping the aspect ratio and centre on a black width x height canvas."""
    source_height, source_width = image.shape[:2]
    if (source_width, source_height) == (width, height):
        return image, framing_for(1.0, 1.0, 0.0, 0.0, source_width, source_height)
    scale = min(width / source_width, height / source_height)
    inner_w = max(1, round(source_width * scale))
    inner_h = max(1, round(source_height * scale))
    pad_x, pad_y = (width - inner_w) // 2, (height - inner_h) // 2
    canvas = np.zeros((height, width, 3), np.uint8)
    canvas[pad_y : pad_y + inner_h, pad_x : pad_x + inner_w] = cv2.resize(
        image, (inner_w, inner_h), interpolation=cv2.INTER_LINEAR
    )
    framing = framing_for(
        inner_w / source_width, inner_h / source_height, pad_x, pad_y, source_width, source_height
    )
    return canvas, framing


def native_size(width: int, height: int, max_width: int, max_height: int) -> tuple[int, int]:
    """Input size for a reshapeable model: the frame shrunk to fit the bound, sides rounded to 32."""
    scale = min(1.0, max_width / width, max_height / height)
    return (
        max(32, int(np.ceil(width * scale / 32)) * 32),
        max(32, int(np.ceil(height * scale / 32)) * 32),
    )


def square_crop(
    image: Image, box: tuple[float, float, float, float], scale: float, size: tuple[int, int]
) -> Image:
    """The square around box, enlarged by scale, resized to size (w, h); outside the image is black."""
    x1, y1, x2, y2 = box
    side = max(x2 - x1, y2 - y1) * scale
    if side <= 0:
        raise ValueError(f"empty box {box}")
    width, height = size
    factor_x, factor_y = width / side, height / side
    matrix = np.array(
        [
            [factor_x, 0, width / 2 - (x1 + x2) / 2 * factor_x],
            [0, factor_y, height / 2 - (y1 + y2) / 2 * factor_y],
        ],
        np.float64,
    )
    return cv2.warpAffine(  # type: ignore[return-value]
        image, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT
    )
