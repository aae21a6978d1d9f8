"""Open Model Zoo DetectionOutput: [1,1,N,7] rows of (image_id, label, conf, x1, y1, x2, y2), normalised."""

from __future__ import annotations

import numpy as np

from service.vision.decoders.base import DecoderInput, Outputs
from service.vision.detection import Detections


class DetectionOutputDecoder:
    """Rows after the first image_id < 0 are padding; label is the model's class id (Labels index)."""

    def __init__(self, given: DecoderInput) -> None:
        fits = [i for i, o in enumerate(given.outputs) if len(o.shape) == 4 and o.shape[3] == 7]
        if len(fits) != 1:
            raise given.unsupported("detection-output", "one output [1,1,N,7]")
        self._index = fits[0]
        self._threshold = given.spec.ScoreThreshold
        self._limit = given.spec.MaxDetections

    def decode(self, outputs: Outputs, input_size: tuple[int, int]) -> Detections:
        rows = outputs[self._index].reshape(-1, 7)
        ends = np.flatnonzero(rows[:, 0] < 0)
        if ends.size:
            rows = rows[: ends[0]]
        rows = rows[rows[:, 2] >= self._threshold]
        rows = rows[np.argsort(-rows[:, 2], kind="stable")][: self._limit]
        width, height = input_size
        boxes = rows[:, 3:7] * np.array([width, height, width, height], np.float32)
        return Detections.build(boxes, rows[:, 2], rows[:, 1].astype(np.int64))
