"""The one detection type every decoder produces, and its array form used inside the engine."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float32]
IntArray = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Detection:
    """One object found in an image; box is (x1, y1, x2, y2) in source-image pixels."""

    label: str
    score: float
    box: tuple[float, float, float, float]
    keypoints: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True, slots=True)
class Detections:
    """N detections as arrays: boxes (N,4) x1y1x2y2, scores (N,), class_ids (N,), keypoints (N,K,2)."""

    boxes: FloatArray
    scores: FloatArray
    class_ids: IntArray
    keypoints: FloatArray

    @staticmethod
    def empty(keypoint_count: int = 0) -> Detections:
        """No detections, with keypoint arrays shaped for K keypoints."""
        return Detections(
            np.zeros((0, 4), np.float32),
            np.zeros((0,), np.float32),
            np.zeros((0,), np.int64),
            np.zeros((0, keypoint_count, 2), np.float32),
        )

    @staticmethod
    def build(
        boxes: NDArray[np.floating],
        scores: NDArray[np.floating],
        class_ids: NDArray[np.integer] | None = None,
        keypoints: NDArray[np.floating] | None = None,
    ) -> Detections:
        """Build from arrays of any float/int dtype (copied; never a view of an output tensor)."""
        count = len(scores)
        ids = np.zeros(count, np.int64) if class_ids is None else np.array(class_ids, np.int64)
        points = (
            np.zeros((count, 0, 2), np.float32)
            if keypoints is None
            else np.array(keypoints, np.float32).reshape(count, -1, 2)
        )
        return Detections(
            np.array(boxes, np.float32).reshape(count, 4), np.array(scores, np.float32), ids, points
        )

    def __len__(self) -> int:
        return len(self.scores)

    def select(self, index: NDArray[np.bool_] | NDArray[np.integer]) -> Detections:
        """The rows picked by a boolean mask or an index array."""
        return Detections(self.boxes[index], self.scores[index], self.class_ids[index], self.keypoints[index])

    def to_list(self, labels: Sequence[str]) -> list[Detection]:
        """Detection objects, labelling class id i as labels[i] (or str(i) when out of range)."""
        out: list[Detection] = []
        for box, score, class_id, points in zip(
            self.boxes.tolist(),
            self.scores.tolist(),
            self.class_ids.tolist(),
            self.keypoints.tolist(),
            strict=True,
        ):
            label = labels[class_id] if 0 <= class_id < len(labels) else str(class_id)
            out.append(Detection(label, score, tuple(box), tuple((p[0], p[1]) for p in points)))
        return out
