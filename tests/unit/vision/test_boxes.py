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


@pytest.mark.parametrize("count", [5, 40, 700])
def test_nms_paths_agree_with_reference(count: int) -> None:
    """The Python, matrix and loop paths all match a plain reference implementation."""
    rng = np.random.default_rng(count)
    corners = rng.uniform(0, 200, (count, 2))
    boxes = np.concatenate([corners, corners + rng.uniform(5, 60, (count, 2))], axis=1).astype(np.float32)
    scores = rng.uniform(0, 1, count).astype(np.float32)
    order = list(np.argsort(-scores, kind="stable"))
    expected: list[int] = []
    while order:
        best = order.pop(0)
        expected.append(int(best))
        order = [i for i in order if box_iou(boxes[best], boxes[i])[0, 0] <= 0.4]
    assert nms_indices(boxes, scores, 0.4, 10_000).tolist() == expected
    assert nms_indices(boxes, scores, 0.4, 3).tolist() == expected[:3]


def test_presorted_nms_matches_sorting_nms() -> None:
    rng = np.random.default_rng(3)
    corners = rng.uniform(0, 50, (12, 2))
    boxes = np.concatenate([corners, corners + 20], axis=1).astype(np.float32)
    scores = np.sort(rng.uniform(0, 1, 12).astype(np.float32))[::-1].copy()
    assert (
        nms_indices(boxes, scores, 0.3, 100, presorted=True).tolist()
        == nms_indices(boxes, scores, 0.3, 100).tolist()
    )
