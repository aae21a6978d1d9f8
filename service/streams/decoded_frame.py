"""DecodedFrame: one frame a reader hands on, as BGR pixels with its capture time."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True, slots=True)
class DecodedFrame:
    """camera; image BGR uint8 HxWx3; origin_ns: wall-clock capture estimate (ns since the epoch);
    pts_s: the stream's own timestamp (None when it has none); keyframe; sequence: per reader, from 0."""

    camera: str
    image: NDArray[np.uint8]
    origin_ns: int
    pts_s: float | None
    keyframe: bool
    sequence: int
