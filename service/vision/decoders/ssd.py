"""TF Object Detection API SSD with NMS in the graph (detection_boxes/scores/classes/num)."""

from __future__ import annotations

import numpy as np

from service.vision.decoders.base import DecoderInput, Outputs
from service.vision.detection import Detections

_NAMES = ("detection_boxes", "detection_scores", "detection_classes", "num_detections")


class SsdDecoder:
    """Boxes are normalised (ymin, xmin, ymax, xmax); class ids are 1-based (label index = id - 1)."""

    def __init__(self, given: DecoderInput) -> None:
        found: dict[str, int] = {}
        for index, output in enumerate(given.outputs):
            for wanted in _NAMES:
                if any(name.split(":")[0] == wanted for name in output.names):
                    found[wanted] = index
        if len(found) != len(_NAMES):
            raise given.unsupported("ssd", "outputs named " + ", ".join(_NAMES))
        self._boxes, self._scores, self._classes, self._count = (found[n] for n in _NAMES)
        self._threshold = given.spec.ScoreThreshold
        self._limit = given.spec.MaxDetections

    def decode(self, outputs: Outputs, input_size: tuple[int, int]) -> Detections:
        count = int(outputs[self._count].reshape(-1)[0])
        scores = outputs[self._scores].reshape(-1)[:count]
        keep = np.flatnonzero(scores >= self._threshold)[: self._limit]
        if not keep.size:
            return Detections.empty()
        width, height = input_size
        ymin, xmin, ymax, xmax = outputs[self._boxes].reshape(-1, 4)[keep].T
        boxes = np.stack([xmin * width, ymin * height, xmax * width, ymax * height], axis=1)
        class_ids = outputs[self._classes].reshape(-1)[keep].astype(np.int64) - 1
        return Detections.build(boxes, scores[keep], class_ids)
