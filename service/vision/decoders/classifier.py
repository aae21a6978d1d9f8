"""Image classifier: [N,C] scores (probabilities or logits), top-1 per batch item."""

from __future__ import annotations

import numpy as np

from service.vision.decoders.base import DecoderInput, Outputs
from service.vision.detection import Detections


class ClassifierDecoder:
    """One row per item (never filtered): box = whole input, label = top class; logits get a softmax."""

    def __init__(self, given: DecoderInput) -> None:
        if len(given.outputs) != 1 or int(np.prod(given.outputs[0].shape[1:])) < 1:
            raise given.unsupported("classifier", "one output [N,C]")

    def decode(self, outputs: Outputs, input_size: tuple[int, int]) -> Detections:
        values = outputs[0].reshape(outputs[0].shape[0], -1).astype(np.float32)
        sums = values.sum(axis=1)
        if values.min() < 0 or values.max() > 1 or not np.allclose(sums, 1, atol=1e-3):
            shifted = np.exp(values - values.max(axis=1, keepdims=True))
            values = shifted / shifted.sum(axis=1, keepdims=True)
        best = values.argmax(axis=1)
        scores = values[np.arange(len(best)), best]
        width, height = input_size
        boxes = np.tile(np.array([0, 0, width, height], np.float32), (len(best), 1))
        return Detections.build(boxes, scores, best)
