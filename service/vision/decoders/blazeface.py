"""MediaPipe BlazeFace (short-range 128 or full-range 192): anchors, box and 6 keypoint regressors."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from service.vision.boxes import suppress
from service.vision.decoders.base import DecoderInput, Outputs
from service.vision.detection import Detections

# rows -> (input side, layer strides, anchors per layer per cell), as MediaPipe's anchor calculator.
_LAYOUTS = {
    896: (128, (8, 16, 16, 16), 2),
    2304: (192, (4,), 1),
}


def make_anchors(side: int, strides: tuple[int, ...], per_layer: int) -> NDArray[np.float32]:
    """(N,2) anchor centres, normalised; consecutive layers of equal stride share one grid."""
    centres: list[NDArray[np.float32]] = []
    index = 0
    while index < len(strides):
        stride = strides[index]
        repeat = 1
        while index + repeat < len(strides) and strides[index + repeat] == stride:
            repeat += 1
        cells = side // stride
        grid = (np.arange(cells, dtype=np.float32) + 0.5) / cells
        ys, xs = np.meshgrid(grid, grid, indexing="ij")
        cell_centres = np.stack([xs.ravel(), ys.ravel()], axis=1)
        centres.append(np.repeat(cell_centres, repeat * per_layer, axis=0))
        index += repeat
    return np.concatenate(centres).astype(np.float32)


def _logit(probability: float) -> float:
    """Inverse sigmoid, with 0 and 1 mapped to -inf and +inf."""
    if probability <= 0:
        return -np.inf
    if probability >= 1:
        return np.inf
    return float(np.log(probability / (1 - probability)))


class BlazeFaceDecoder:
    """Decodes regressors [1,N,16] and classificators [1,N,1]; keypoints: eyes, nose, mouth, ears."""

    def __init__(self, given: DecoderInput) -> None:
        shapes = [o.shape for o in given.outputs]
        regressors = [i for i, s in enumerate(shapes) if len(s) == 3 and s[2] == 16]
        classes = [i for i, s in enumerate(shapes) if len(s) == 3 and s[2] == 1]
        rows = shapes[regressors[0]][1] if regressors else -1
        if len(regressors) != 1 or len(classes) != 1 or rows not in _LAYOUTS:
            raise given.unsupported("blazeface", "regressors [1,896|2304,16] and classificators [1,N,1]")
        self._regressors, self._classes = regressors[0], classes[0]
        side, strides, per_layer = _LAYOUTS[rows]
        self._side = float(side)
        self._anchors = make_anchors(side, strides, per_layer)
        self._threshold = given.spec.ScoreThreshold
        self._logit = _logit(self._threshold)
        self._iou = given.spec.NmsIou
        self._limit = given.spec.MaxDetections

    def decode(self, outputs: Outputs, input_size: tuple[int, int]) -> Detections:
        logits = outputs[self._classes].reshape(-1)
        # Compare raw logits with the threshold's logit: only candidates pay for sigmoid and decode.
        keep = np.flatnonzero(logits >= self._logit)
        if not keep.size:
            return Detections.empty(6)
        scores = 1 / (1 + np.exp(-np.clip(logits[keep], -100, 100)))
        rows = outputs[self._regressors].reshape(-1, 16)[keep] * (1 / self._side)
        rows[:, 4:].reshape(-1, 6, 2)[:] += self._anchors[keep, None, :]
        centre, half = rows[:, 0:2] + self._anchors[keep], rows[:, 2:4] / 2
        scale = np.array(input_size, np.float32)
        boxes = np.concatenate([centre - half, centre + half], axis=1).reshape(-1, 2, 2) * scale
        points = rows[:, 4:].reshape(-1, 6, 2) * scale
        found = Detections(boxes.reshape(-1, 4), scores, np.zeros(keep.size, np.int64), points)
        return suppress(found, self._iou, self._limit)
