import numpy as np
import pytest

from service.vision.boxes import box_iou, nms_indices, suppress
from service.vision.detection import Detections


@pytest.mark.parametrize(
    ("a", "b", "iou"),
    [
        ([0, 0, 10, 10], [0, 0, 10, 10], 1.0),
        ([0, 0, 10, 10], [5, 0, 15, 10], 50 / 150),
        ([0, 0, 10, 10], [20, 20, 30, 30], 0.0),
        ([0, 0, 0, 0], [0, 0, 0, 0], 0.0),
    ],
)
def test_box_iou(a: list[float], b: list[float], iou: float) -> None:
    assert box_iou(np.array(a), np.array(b))[0, 0] == pytest.approx(iou)


def test_nms_keeps_best_of_overlapping() -> None:
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], np.float32)
    scores = np.array([0.7, 0.9, 0.8])
    assert nms_indices(boxes, scores, 0.5, 10).tolist() == [1, 2]
    assert nms_indices(boxes, scores, 0.5, 1).tolist() == [1]
    assert nms_indices(boxes, scores, 0.99, 10).tolist() == [1, 2, 0]


def test_suppress_is_class_aware() -> None:
    boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10]])
    found = Detections.build(boxes, np.array([0.9, 0.8, 0.7]), np.array([0, 1, 0]))
    kept = suppress(found, 0.5, 10)
    assert kept.class_ids.tolist() == [0, 1]
    assert kept.scores.tolist() == pytest.approx([0.9, 0.8])
