"""YOLOv5- and YOLOv8-style ONNX heads, without NMS in the graph.

Layouts (batch 1):
  * YOLOv8: [1, 4+C, N] (channels first, as Ultralytics exports) rows = cx, cy, w, h, C class scores
  * YOLOv5: [1, N, 5+C] rows = cx, cy, w, h, objectness, C class scores (score = obj x class)
Boxes are in model-input pixels. When Labels are given their count settles which layout it is;
otherwise channels-first means v8 and rows-last means v5.
"""

from __future__ import annotations

import numpy as np

from service.vision.boxes import suppress
from service.vision.decoders.base import DecoderInput, Outputs
from service.vision.detection import Detections


def _layout(shape: tuple[int, ...], classes: int) -> tuple[bool, bool] | None:
    """(transposed, has_objectness) for a [1,a,b] head, or None when it cannot be a YOLO head."""
    if len(shape) != 3 or shape[0] not in (1, -1):
        return None
    a, b = shape[1], shape[2]
    if classes:
        for transposed, width in ((True, a), (False, b)):
            if width == 4 + classes:
                return transposed, False
            if width == 5 + classes:
                return transposed, True
        return None
    transposed = a != -1 and (b == -1 or a < b)
    if (a if transposed else b) < 5:
        return None
    return transposed, not transposed


class YoloDecoder:
    """Decodes a single YOLO head output, then class-aware NMS."""

    def __init__(self, given: DecoderInput) -> None:
        layout = _layout(given.outputs[0].shape, len(given.spec.Labels)) if len(given.outputs) == 1 else None
        if layout is None:
            raise given.unsupported("yolo", "one output [1,4+C,N] (v8) or [1,N,5+C] (v5) matching Labels")
        self._transposed, self._objectness = layout
        self._threshold = given.spec.ScoreThreshold
        self._iou = given.spec.NmsIou
        self._limit = given.spec.MaxDetections

    def decode(self, outputs: Outputs, input_size: tuple[int, int]) -> Detections:
        rows = outputs[0][0].T if self._transposed else outputs[0][0]
        first_class = 5 if self._objectness else 4
        class_scores = rows[:, first_class:]
        if self._objectness:
            class_scores = class_scores * rows[:, 4:5]
        class_ids = class_scores.argmax(axis=1)
        scores = class_scores[np.arange(len(rows)), class_ids]
        keep = np.flatnonzero(scores >= self._threshold)
        if not keep.size:
            return Detections.empty()
        centre, size = rows[keep, 0:2], rows[keep, 2:4]
        boxes = np.concatenate([centre - size / 2, centre + size / 2], axis=1)
        return suppress(Detections.build(boxes, scores[keep], class_ids[keep]), self._iou, self._limit)
