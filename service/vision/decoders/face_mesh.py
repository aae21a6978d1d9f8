"""MediaPipe face_landmark: 468 (x,y,z) landmarks plus a face-presence logit, one row per batch item."""

from __future__ import annotations

import numpy as np

from service.vision.decoders.base import DecoderInput, Outputs
from service.vision.detection import Detections


class FaceMeshDecoder:
    """One row per batch item (never filtered): box = whole input, score = presence, 468 keypoints."""

    def __init__(self, given: DecoderInput) -> None:
        sizes = [int(np.prod(o.shape[1:])) if o.shape else -1 for o in given.outputs]
        if sorted(sizes) != [1, 1404]:
            raise given.unsupported("face-mesh", "outputs of 1404 (468 x xyz) and 1 (presence) per item")
        self._mesh, self._presence = sizes.index(1404), sizes.index(1)

    def decode(self, outputs: Outputs, input_size: tuple[int, int]) -> Detections:
        logits = np.clip(outputs[self._presence].reshape(-1), -100, 100)
        scores = 1 / (1 + np.exp(-logits))
        count = scores.size
        width, height = input_size
        boxes = np.tile(np.array([0, 0, width, height], np.float32), (count, 1))
        points = outputs[self._mesh].reshape(count, 468, 3)[:, :, :2]
        return Detections.build(boxes, scores, None, points)
