"""Annotated images: boxes drawn, faces pixelated when privacy is on, JPEG-encoded."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import cv2
import numpy as np
from numpy.typing import NDArray

from service.pipeline.analysis.sighting import Sighting
from service.pipeline.analysis.tracking import Box

Image = NDArray[np.uint8]
_GREEN = (60, 200, 60)
_ORANGE = (0, 140, 255)
PIXEL_BLOCKS = 8  # a blurred face becomes an 8x8 mosaic: unreadable, still visibly "a face"


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
