"""The detections of one image as arrays (the type that leaves the engine), and one row as a record.

`Detections` is what a model call returns: boxes, scores, class ids and keypoints as arrays, plus
the model's label names. Filtering and scaling stay vectorised. Iterating (or indexing) yields
`Detection` records, built on demand, for callers that want one object per detection.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
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


@dataclass(frozen=True, slots=True, eq=False)
class Detections:
    """N detections as arrays: boxes (N,4) x1y1x2y2, scores (N,), class_ids (N,), keypoints (N,K,2).

    labels are the model's class names: class id i is labels[i], or str(i) when out of range.
    Equal to another Detections, or to a sequence of Detection, holding the same rows in order.
    """

    boxes: FloatArray
    scores: FloatArray
    class_ids: IntArray
    keypoints: FloatArray
    labels: tuple[str, ...] = ()

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

    def __iter__(self) -> Iterator[Detection]:
        names, scores = self.label_names(), self.scores.tolist()
        boxes, points = self.boxes.tolist(), self.keypoints.tolist()
        for label, score, box, row in zip(names, scores, boxes, points, strict=True):
            yield Detection(label, score, tuple(box), tuple((p[0], p[1]) for p in row))

    def __getitem__(self, index: int) -> Detection:
        """Row `index` (negative counts from the end) as a Detection record."""
        if not -len(self) <= index < len(self):
            raise IndexError(f"detection {index} of {len(self)}")
        points = self.keypoints[index].tolist()
        return Detection(
            self.label(int(self.class_ids[index])),
            float(self.scores[index]),
            tuple(self.boxes[index].tolist()),
            tuple((p[0], p[1]) for p in points),
        )

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Detections):
            if len(self) != len(other):
                return False
            return not len(self) or (
                np.array_equal(self.scores, other.scores)
                and np.array_equal(self.boxes, other.boxes)
                and np.array_equal(self.keypoints, other.keypoints)
                and self.label_names() == other.label_names()
            )
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # arrays: not hashable

    def label(self, class_id: int) -> str:
        """The name of a class id: labels[class_id], or str(class_id) when out of range."""
        return self.labels[class_id] if 0 <= class_id < len(self.labels) else str(class_id)

    def label_names(self) -> tuple[str, ...]:
        """Each row's label name, in row order."""
        labels, count = self.labels, len(self.labels)
        return tuple(labels[i] if 0 <= i < count else str(i) for i in self.class_ids.tolist())

    def labelled(self, labels: tuple[str, ...]) -> Detections:
        """The same rows (arrays shared, not copied) named by these labels."""
        return Detections(self.boxes, self.scores, self.class_ids, self.keypoints, labels)

    def select(self, index: NDArray[np.bool_] | NDArray[np.integer]) -> Detections:
        """The rows picked by a boolean mask or an index array."""
        return Detections(
            self.boxes[index], self.scores[index], self.class_ids[index], self.keypoints[index], self.labels
        )

    def scaled(self, factor: float) -> Detections:
        """Boxes and keypoints multiplied by factor (e.g. from a 1/2-size decode back to the source)."""
        if factor == 1:
            return self
        return Detections(
            self.boxes * np.float32(factor),
            self.scores,
            self.class_ids,
            self.keypoints * np.float32(factor),
            self.labels,
        )

    def to_list(self, labels: Sequence[str] | None = None) -> list[Detection]:
        """Detection records, named by these labels (default: this object's own)."""
        return list(self if labels is None else self.labelled(tuple(labels)))
