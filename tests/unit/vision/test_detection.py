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


LABELS = ("person", "car")


def two_rows() -> Detections:
    """A person and an unnamed class 5, with one keypoint each, named by LABELS."""
    found = Detections.build(
        np.array([[10, 20, 30, 40], [1, 2, 3, 4]]),
        np.array([0.75, 0.5]),
        np.array([0, 5]),
        np.array([[[15, 25]], [[2, 3]]]),
    )
    return found.labelled(LABELS)


def test_labelled_shares_arrays_and_names_rows() -> None:
    plain = Detections.build(np.zeros((2, 4)), np.array([0.5, 0.5]), np.array([1, -1]))
    found = plain.labelled(LABELS)
    assert found.boxes is plain.boxes and found.scores is plain.scores
    assert plain.labels == () and found.labels == LABELS
    assert found.label_names() == ("car", "-1")
    assert plain.label_names() == ("1", "-1")


@pytest.mark.parametrize(("class_id", "label"), [(0, "person"), (1, "car"), (2, "2"), (-1, "-1")])
def test_label_of_a_class_id(class_id: int, label: str) -> None:
    assert Detections.empty().labelled(LABELS).label(class_id) == label


def test_iteration_yields_records_in_row_order() -> None:
    found = two_rows()
    assert list(found) == [
        Detection("person", 0.75, (10.0, 20.0, 30.0, 40.0), ((15.0, 25.0),)),
        Detection("5", 0.5, (1.0, 2.0, 3.0, 4.0), ((2.0, 3.0),)),
    ]
    assert found.to_list() == list(found)
    assert [d.label for d in found.to_list(("a",) * 6)] == ["a", "a"]  # other names, same rows
    [first, second] = found  # unpacking, as callers do with one expected detection
    assert (first.label, second.label) == ("person", "5")


@pytest.mark.parametrize(("index", "label"), [(0, "person"), (1, "5"), (-1, "5"), (-2, "person")])
def test_indexing_matches_iteration(index: int, label: str) -> None:
    found = two_rows()
    assert found[index] == list(found)[index]
    assert found[index].label == label


@pytest.mark.parametrize("index", [2, -3])
def test_indexing_out_of_range(index: int) -> None:
    with pytest.raises(IndexError, match="of 2"):
        two_rows()[index]


def test_equality_with_detections_and_with_records() -> None:
    found = two_rows()
    assert found == two_rows()
    assert found == list(found) and found == tuple(found)
    assert found != list(found)[:1]
    assert found != found.select(np.array([1, 0]))  # same rows, other order
    assert found != found.labelled(("cyclist",))  # same arrays, other names
    assert found != Detections.build(found.boxes + 1, found.scores, found.class_ids, found.keypoints)
    assert found != "person"
    assert Detections.empty(6) == [] and Detections.empty(6) == Detections.empty(0)
    assert Detections.empty() != [Detection("a", 1.0, (0, 0, 1, 1))]


def test_not_hashable() -> None:
    with pytest.raises(TypeError):
        hash(two_rows())


def test_select_keeps_the_labels() -> None:
    kept = two_rows().select(np.array([False, True]))
    assert kept.labels == LABELS
    assert [d.label for d in kept] == ["5"]


@pytest.mark.parametrize("factor", [2.0, 4.0, 8.0, 0.5])
def test_scaled_multiplies_boxes_and_keypoints(factor: float) -> None:
    found = two_rows()
    scaled = found.scaled(factor)
    rows = [(10, 20, 30, 40), (1, 2, 3, 4)]
    assert scaled.boxes.tolist() == [[v * factor for v in row] for row in rows]
    assert scaled.keypoints.tolist() == [[[15 * factor, 25 * factor]], [[2 * factor, 3 * factor]]]
    assert scaled.boxes.dtype == np.float32 and scaled.keypoints.dtype == np.float32
    assert scaled.scores is found.scores and scaled.class_ids is found.class_ids
    assert scaled.labels == LABELS
    assert found.boxes[0].tolist() == [10, 20, 30, 40]  # the original is left as it was


def test_scaled_by_one_is_the_same_object() -> None:
    found = two_rows()
    assert found.scaled(1.0) is found
    assert Detections.empty(3).scaled(2.0).keypoints.shape == (0, 3, 2)
