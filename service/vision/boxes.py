"""Box arithmetic shared by the decoders: IoU and greedy non-maximum suppression."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from service.vision.detection import Detections


def box_iou(a: NDArray[np.floating], b: NDArray[np.floating]) -> NDArray[np.float32]:
    """Pairwise IoU of (N,4) and (M,4) x1y1x2y2 boxes, shape (N,M)."""
    a = np.asarray(a, np.float32).reshape(-1, 4)
    b = np.asarray(b, np.float32).reshape(-1, 4)
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0).astype(np.float32)


def nms_indices(
    boxes: NDArray[np.floating], scores: NDArray[np.floating], iou_threshold: float, limit: int
) -> NDArray[np.int64]:
    """Indices kept by greedy NMS, best score first, at most `limit`."""
    order = np.argsort(-np.asarray(scores), kind="stable")
    keep: list[int] = []
    while order.size and len(keep) < limit:
        best = int(order[0])
        keep.append(best)
        if order.size == 1:
            break
        overlaps = box_iou(boxes[best], boxes[order[1:]])[0]
        order = order[1:][overlaps <= iou_threshold]
    return np.array(keep, np.int64)


def suppress(found: Detections, iou_threshold: float, limit: int) -> Detections:
    """Class-aware NMS: boxes of different classes never suppress each other."""
    if len(found) <= 1:
        return found
    # Shift each class into its own region so one NMS pass handles all classes.
    span = float(np.abs(found.boxes).max()) + 1.0
    shifted = found.boxes + (found.class_ids.astype(np.float32) * span)[:, None]
    return found.select(nms_indices(shifted, found.scores, iou_threshold, limit))
