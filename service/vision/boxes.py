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


_MATRIX_LIMIT = 512  # up to this many candidates, one IoU matrix beats a loop of IoU calls


def nms_indices(
    boxes: NDArray[np.floating], scores: NDArray[np.floating], iou_threshold: float, limit: int
) -> NDArray[np.int64]:
    """Indices kept by greedy NMS, best score first, at most `limit`."""
    order = np.argsort(-np.asarray(scores), kind="stable")
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


def suppress(found: Detections, iou_threshold: float, limit: int) -> Detections:
    """Class-aware NMS: boxes of different classes never suppress each other."""
    if len(found) <= 1:
        return found
    # Shift each class into its own region so one NMS pass handles all classes.
    span = float(np.abs(found.boxes).max()) + 1.0
    shifted = found.boxes + (found.class_ids.astype(np.float32) * span)[:, None]
    return found.select(nms_indices(shifted, found.scores, iou_threshold, limit))
