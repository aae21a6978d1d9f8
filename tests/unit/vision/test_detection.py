import numpy as np
import pytest

from service.vision.detection import Detection, Detections


def test_build_copies_and_shapes() -> None:
    boxes = np.array([[1, 2, 3, 4], [5, 6, 7, 8]], np.float64)
    found = Detections.build(boxes, np.array([0.9, 0.4]), np.array([0, 3]), np.zeros((2, 6)))
    boxes[0, 0] = 99
    assert found.boxes[0, 0] == 1
    assert found.keypoints.shape == (2, 3, 2)
    assert found.class_ids.dtype == np.int64
    assert len(found) == 2


def test_select_by_mask_and_index() -> None:
    found = Detections.build(np.arange(12, dtype=np.float32).reshape(3, 4), np.array([0.1, 0.8, 0.6]))
    assert found.select(found.scores > 0.5).scores.tolist() == pytest.approx([0.8, 0.6])
    assert found.select(np.array([2])).boxes.tolist() == [[8, 9, 10, 11]]


@pytest.mark.parametrize(("class_id", "label"), [(0, "person"), (1, "car"), (2, "2"), (-1, "-1")])
def test_to_list_labels(class_id: int, label: str) -> None:
    found = Detections.build(
        np.array([[1, 2, 3, 4]]), np.array([0.5]), np.array([class_id]), np.ones((1, 1, 2))
    )
    [detection] = found.to_list(("person", "car"))
    assert detection == Detection(label, 0.5, (1.0, 2.0, 3.0, 4.0), ((1.0, 1.0),))


def test_empty_has_keypoint_shape() -> None:
    empty = Detections.empty(6)
    assert len(empty) == 0
    assert empty.keypoints.shape == (0, 6, 2)
    assert empty.to_list(()) == []


def test_detection_is_frozen() -> None:
    detection = Detection("a", 1.0, (0, 0, 1, 1))
    with pytest.raises(AttributeError):
        detection.score = 0.5  # type: ignore[misc]
