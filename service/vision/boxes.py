"""Box arithmetic shared by the decoders: IoU and greedy non-maximum suppression."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from service.vision.detection import Detections


def box_iou(a: NDArray[np.floating], b: NDArray[np.floating]) -> NDArray[np.float32]:
    """Pairwise IoU of (N,4) and (M,4) x1y1x2y2 boxes, shape (N,M)."""
    a = np.asarray(a, np.float32).reshape(-1, 4)
    b = np.asarray(b, np.float32).reshape(-1, 4)
    overlap = np.minimum(a[:, None, 2:], b[None, :, 2:]) - np.maximum(a[:, None, :2], b[None, :, :2])
    np.maximum(overlap, 0, out=overlap)
    inter = overlap[..., 0] * overlap[..., 1]
    size_a, size_b = a[:, 2:] - a[:, :2], b[:, 2:] - b[:, :2]
    union = (size_a[:, 0] * size_a[:, 1])[:, None] + (size_b[:, 0] * size_b[:, 1])[None, :] - inter
    return inter / np.maximum(union, np.float32(1e-9))  # type: ignore[no-any-return]


_PYTHON_LIMIT = 16  # up to this many candidates, plain Python beats numpy's per-call overhead
_MATRIX_LIMIT = 512  # up to this many, one IoU matrix beats a loop of IoU calls


def nms_python(boxes: list[list[float]], order: list[int], iou_threshold: float, limit: int) -> list[int]:
    """Greedy NMS over a few plain-Python boxes, visited in `order`; the kept positions, in that order."""
    kept: list[int] = []
    for index in order:
        x1, y1, x2, y2 = boxes[index]
        area = (x2 - x1) * (y2 - y1)
        for other in kept:
            a1, b1, a2, b2 = boxes[other]
            inter = max(0.0, min(x2, a2) - max(x1, a1)) * max(0.0, min(y2, b2) - max(y1, b1))
            union = area + (a2 - a1) * (b2 - b1) - inter
            if union > 0 and inter / union > iou_threshold:
                break
        else:
            kept.append(index)
            if len(kept) == limit:
                break
    return kept


def nms_indices(
    boxes: NDArray[np.floating],
    scores: NDArray[np.floating],
    iou_threshold: float,
    limit: int,
    presorted: bool = False,
) -> NDArray[np.int64]:
    """Indices kept by greedy NMS, best score first, at most `limit`; presorted: scores descend."""
    if presorted and len(scores) <= _PYTHON_LIMIT:
        return np.array(nms_python(boxes.tolist(), list(range(len(scores))), iou_threshold, limit), np.int64)
    order = np.argsort(-np.asarray(scores), kind="stable")
    if order.size <= _PYTHON_LIMIT:
        return np.array(nms_python(boxes.tolist(), order.tolist(), iou_threshold, limit), np.int64)
    if order.size <= _MATRIX_LIMIT:
        overlaps = box_iou(boxes[order], boxes[order]) > iou_threshold
        dropped = np.zeros(order.size, np.bool_)
        kept: list[int] = []
        for rank in range(order.size):
            if dropped[rank]:
                continue
            kept.append(rank)
            if len(kept) == limit:
                break
            dropped |= overlaps[rank]
        return order[kept].astype(np.int64)
    keep: list[int] = []
    while order.size and len(keep) < limit:
        best = int(order[0])
        keep.append(best)
        overlaps_best = box_iou(boxes[best], boxes[order[1:]])[0]
        order = order[1:][overlaps_best <= iou_threshold]
    return np.array(keep, np.int64)


def suppress(found: Detections, iou_threshold: float, limit: int, per_class: bool = True) -> Detections:
    """NMS; with per_class, boxes of different classes never suppress each other."""
    if len(found) <= 1:
        return found
    boxes = found.boxes
    if per_class:
        # Shift each class into its own region so one NMS pass handles all classes.
        span = float(np.abs(boxes).max()) + 1.0
        boxes = boxes + (found.class_ids.astype(np.float32) * span)[:, None]
    return found.select(nms_indices(boxes, found.scores, iou_threshold, limit))
