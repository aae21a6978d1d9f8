"""MediaPipe BlazeFace (short-range 128 or full-range 192): anchors, box and 6 keypoint regressors.

Two ways to decode, chosen by the engine at load:
  * on the host (LATENCY hint): numpy over the 896 rows; every extra graph node measured ~40 us of
    latency on this CPU, more than the numpy decode costs;
  * folded into the graph (fold(), THROUGHPUT hint): sigmoid, TopK and anchor decoding run on the
    inference streams and output [K,17] rows (score, x1, y1, x2, y2, 6 keypoints x,y) in input
    pixels, best first ([B,K,17]), so the GIL-bound Python work per frame is a count and a tiny NMS.
"""

from __future__ import annotations

import math

import numpy as np
import openvino as ov
import openvino.opset13 as ops
from numpy.typing import NDArray

from service.vision.boxes import nms_indices, nms_python
from service.vision.decoders.base import DecoderInput, Outputs
from service.vision.detection import Detections

# rows -> (input side, layer strides, anchors per layer per cell, rows per output head), the first
# three as MediaPipe's anchor calculator.
_LAYOUTS = {
    896: (128, (8, 16, 16, 16), 2, (512, 384)),
    2304: (192, (4,), 1, (2304,)),
}
_CANDIDATES = 256  # rows kept by the in-graph TopK, before thresholding and NMS
_PYTHON_CANDIDATES = 24  # up to this many anchors over the threshold, decode in plain Python


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
    """Regressors [1,N,16] and classificators [1,N,1] -> faces with eyes, nose, mouth, ears."""

    def __init__(self, given: DecoderInput) -> None:
        shapes = [o.shape for o in given.outputs]
        regressors = [i for i, s in enumerate(shapes) if len(s) == 3 and s[2] == 16]
        classes = [i for i, s in enumerate(shapes) if len(s) == 3 and s[2] == 1]
        # A batch of B may come flattened into [1,B*N,16]; N is per item either way.
        rows = shapes[regressors[0]][0] * shapes[regressors[0]][1] // given.batch if regressors else -1
        if len(regressors) != 1 or len(classes) != 1 or rows not in _LAYOUTS:
            raise given.unsupported("blazeface", "regressors [1,896|2304,16] and classificators [1,N,1]")
        self._regressors, self._classes = regressors[0], classes[0]
        side, strides, per_layer, self._heads = _LAYOUTS[rows]
        self._side = side
        self._anchors = make_anchors(side, strides, per_layer)
        # Anchor centres in input pixels, added to every x,y pair of a regressor row (not to w,h).
        self._offsets = np.zeros((len(self._anchors), 16), np.float32)
        self._offsets[:, 0:2] = self._anchors * side
        self._offsets[:, 4:16] = np.tile(self._anchors * side, 6)
        self._threshold = np.float32(given.spec.ScoreThreshold)
        self._logit = _logit(given.spec.ScoreThreshold)
        self._folded = False
        self._iou = given.spec.NmsIou
        self._limit = given.spec.MaxDetections

    def fold(self, model: ov.Model) -> ov.Model:
        """The model with anchor decoding, sigmoid and TopK appended; one output [B,K,17]."""
        count = len(self._anchors)
        # Build on what feeds each Result (model.output(i) is the Result node itself).
        produced = [result.input_value(0) for result in model.get_results()]
        batch = int(np.prod(produced[self._classes].get_shape())) // count
        classes = self._item_major(produced[self._classes], batch, 1)
        regressors = self._item_major(produced[self._regressors], batch, 16)
        logits = ops.reshape(classes, [batch, count], special_zero=False)
        scores = ops.sigmoid(ops.clamp(logits, -100.0, 100.0))
        top = ops.topk(scores, min(count, _CANDIDATES), axis=1, mode="max", sort="value")
        # Row indices into the item-major [B*N,16] regressors; a per-batch Gather (batch_dims=1) or
        # GatherND crashes OpenVINO 2026.4's CPU plugin here.
        flat = ops.add(top.output(1), np.arange(batch, dtype=np.int32).reshape(batch, 1) * count)
        rows = ops.add(ops.gather(regressors, flat, 0), ops.gather(self._offsets, top.output(1), 0))
        centre, size, points = ops.variadic_split(rows, 2, [2, 2, 12]).outputs()
        half = ops.multiply(size, np.float32(0.5))
        decoded = ops.concat(
            [ops.unsqueeze(top.output(0), 2), ops.subtract(centre, half), ops.add(centre, half), points], 2
        )
        # Replace the results in place: a new ov.Model would leave the old Result nodes dangling.
        old_results = list(model.get_results())
        model.add_results([ops.result(decoded)])
        for result in old_results:
            model.remove_result(result)
        self._folded = True
        return model

    def _item_major(self, output: ov.Output, batch: int, width: int) -> ov.Node:
        """[B*N, width] rows, item after item, from the model's flattened output.

        The converted TFLite graph reshapes each head to [1,-1,width] before concatenating, so a
        batch comes out head by head: head 0 of every item, then head 1 of every item (checked
        against batch-1 runs in tests/models). Split per head, regroup per item, join."""
        rows = ops.reshape(output, [batch * sum(self._heads), width], special_zero=False)
        if batch == 1 or len(self._heads) == 1:
            return rows
        heads = ops.variadic_split(rows, 0, [batch * n for n in self._heads]).outputs()
        per_item = [
            ops.reshape(head, [batch, n * width], special_zero=False)
            for head, n in zip(heads, self._heads, strict=True)
        ]
        return ops.reshape(ops.concat(per_item, 1), [batch * sum(self._heads), width], special_zero=False)

    def decode(self, outputs: Outputs, input_size: tuple[int, int]) -> Detections:
        return self._decode_folded(outputs[0]) if self._folded else self._decode_raw(outputs)

    def _decode_raw(self, outputs: Outputs) -> Detections:
        logits = outputs[self._classes].reshape(-1)
        # Compare raw logits with the threshold's logit: only candidates pay for sigmoid and decode.
        keep = np.flatnonzero(logits >= self._logit)
        if not keep.size:
            return Detections.empty(6)
        rows = outputs[self._regressors].reshape(-1, 16)[keep] + self._offsets[keep]
        candidates = logits[keep]
        if keep.size <= _PYTHON_CANDIDATES:
            return self._pick_few(rows, candidates.tolist())
        order = np.argsort(-candidates, kind="stable")
        rows = rows[order]
        scores = (1 / (1 + np.exp(-np.clip(candidates[order], -100, 100)))).astype(np.float32)
        centre, half = rows[:, 0:2], rows[:, 2:4] / 2
        boxes = np.concatenate([centre - half, centre + half], axis=1)
        picked = nms_indices(boxes, scores, self._iou, self._limit, presorted=True)
        return Detections(
            boxes[picked], scores[picked], np.zeros(len(picked), np.int64), rows[picked, 4:].reshape(-1, 6, 2)
        )

    def _pick_few(self, rows: NDArray[np.float32], logits: list[float]) -> Detections:
        """Boxes, NMS and sigmoid in plain Python: for a face's handful of anchors, ~2x faster."""
        boxes = [[x - w / 2, y - h / 2, x + w / 2, y + h / 2] for x, y, w, h in rows[:, :4].tolist()]
        order = sorted(range(len(logits)), key=logits.__getitem__, reverse=True)  # stable, like argsort
        picked = nms_python(boxes, order, self._iou, self._limit)
        scores = [1 / (1 + math.exp(-min(100.0, max(-100.0, logits[i])))) for i in picked]
        return Detections(
            np.array([boxes[i] for i in picked], np.float32),
            np.array(scores, np.float32),
            np.zeros(len(picked), np.int64),
            rows[picked, 4:].reshape(-1, 6, 2),
        )

    def _decode_folded(self, output: NDArray[np.float32]) -> Detections:
        rows = output[0]
        count = int(np.count_nonzero(rows[:, 0] >= self._threshold))  # rows are sorted by score
        if not count:
            return Detections.empty(6)
        # Copies either way: nothing below may point into the request's output tensor.
        if count == 1:
            picked = rows[:1].copy()
        else:  # nms_indices runs a few presorted boxes in plain Python itself
            top = rows[:count]
            picked = top[nms_indices(top[:, 1:5], top[:, 0], self._iou, self._limit, presorted=True)]
        return Detections(
            picked[:, 1:5], picked[:, 0], np.zeros(len(picked), np.int64), picked[:, 5:].reshape(-1, 6, 2)
        )
