"""Motion gate: cheap differencing of a small grey frame against a running-average background.

One gate per camera. A frame counts as motion when more than min_changed_pct of the unmasked
pixels differ from the background by more than pixel_threshold grey levels. The first frame (and
the first after a change of aspect ratio) always counts as motion, so a new camera is analysed at
once; the same scene decoded at another scale (a reduced JPEG decode) compares as the same frame.
Costs about 0.1 ms on a 320x240 frame: one colour conversion, one INTER_AREA resize, one absdiff.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

Polygon = Sequence[tuple[float, float]]


@dataclass(frozen=True, slots=True)
class MotionParams:
    """Gate settings; masks are polygons in fractions (0..1) of the frame's width and height."""

    width_px: int = 96
    pixel_threshold: int = 20
    min_changed_pct: float = 0.5
    background_alpha: float = 0.3
    masks: tuple[Polygon, ...] = ()


@dataclass(frozen=True, slots=True)
class MotionResult:
    """The gate's verdict for one frame."""

    motion: bool
    changed_pct: float


class MotionGate:
    """Stateful per-camera gate; not thread-safe (one camera is analysed by one worker at a time)."""

    def __init__(self, params: MotionParams) -> None:
        self._params = params
        self._background: NDArray[np.float32] | None = None
        self._valid: NDArray[np.bool_] | None = None
        self._valid_count = 0

    def check(self, bgr: NDArray[np.uint8]) -> MotionResult:
        """Compare a BGR (or grey) frame with the background, then fold it into the background."""
        grey = self._small_grey(bgr)
        if self._background is None or self._background.shape != grey.shape:
            self._reset(grey)
            return MotionResult(True, 100.0)
        background = self._background
        diff = cv2.absdiff(grey, background.astype(np.uint8))
        changed = (diff > self._params.pixel_threshold) & self._valid_mask()
        pct = 100.0 * float(np.count_nonzero(changed)) / max(self._valid_count, 1)
        cv2.accumulateWeighted(grey, background, self._params.background_alpha)
        return MotionResult(pct >= self._params.min_changed_pct, pct)

    def reset(self) -> None:
        """Forget the background: the next frame counts as motion."""
        self._background = None

    def _small_grey(self, bgr: NDArray[np.uint8]) -> NDArray[np.uint8]:
        height, width = bgr.shape[:2]
        out_w = min(self._params.width_px, width)
        out_h = max(1, round(height * out_w / width))
        # Grey first: INTER_AREA at a fractional scale costs per channel (150 -> 80 us at 320x240).
        grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY) if bgr.ndim == 3 else bgr
        return np.asarray(cv2.resize(grey, (out_w, out_h), interpolation=cv2.INTER_AREA), np.uint8)

    def _reset(self, grey: NDArray[np.uint8]) -> None:
        self._background = grey.astype(np.float32)
        self._valid = self._build_valid(grey.shape[1], grey.shape[0])
        self._valid_count = int(np.count_nonzero(self._valid))

    def _valid_mask(self) -> NDArray[np.bool_]:
        assert self._valid is not None  # set with the background
        return self._valid

    def _build_valid(self, width: int, height: int) -> NDArray[np.bool_]:
        masked = np.zeros((height, width), np.uint8)
        for polygon in self._params.masks:
            points = np.array([[x * (width - 1), y * (height - 1)] for x, y in polygon], np.float32)
            cv2.fillPoly(masked, [np.round(points).astype(np.int32)], 1)
        return np.asarray(masked == 0)
