import numpy as np
import pytest

from service.vision.detection import Detections
from service.vision.framing import as_bgr, letterbox, native_size, square_crop, stretch


def test_letterbox_centres_and_maps_back() -> None:
    image = np.full((100, 200, 3), 255, np.uint8)
    fitted, framing = letterbox(image, 64, 64)
    assert fitted.shape == (64, 64, 3)
    assert fitted[0, 32].tolist() == [0, 0, 0]  # top band is padding
    assert fitted[32, 32].tolist() == [255, 255, 255]
    # the whole input square maps back to the whole source image, clipped
    found = Detections.build(np.array([[0, 16, 64, 48]]), np.array([1.0]), None, np.array([[[32, 32]]]))
    back = framing.to_source(found)
    assert back.boxes[0].tolist() == pytest.approx([0, 0, 200, 100])
    assert back.keypoints[0, 0].tolist() == pytest.approx([100, 50])


def test_stretch_maps_back_per_axis() -> None:
    image = np.zeros((50, 400, 3), np.uint8)
    fitted, framing = stretch(image, 100, 100)
    assert fitted.shape == (100, 100, 3)
    back = framing.to_source(Detections.build(np.array([[10, 10, 20, 20]]), np.array([1.0])))
    assert back.boxes[0].tolist() == pytest.approx([40, 5, 80, 10])


def test_same_size_is_not_copied() -> None:
    image = np.zeros((64, 64, 3), np.uint8)
    assert letterbox(image, 64, 64)[0] is image
    assert stretch(image, 64, 64)[0] is image


@pytest.mark.parametrize(
    ("shape", "dtype", "ok"),
    [
        ((4, 5), np.uint8, True),
        ((4, 5, 1), np.uint8, True),
        ((4, 5, 3), np.uint8, True),
        ((4, 5, 4), np.uint8, True),
        ((4, 5, 2), np.uint8, False),
        ((4, 5, 3), np.float32, False),
        ((4,), np.uint8, False),
        ((0, 5), np.uint8, False),
    ],
)
def test_as_bgr(shape: tuple[int, ...], dtype: type, ok: bool) -> None:
    image: np.ndarray = np.zeros(shape, dtype)
    if ok:
        assert as_bgr(image).shape == (4, 5, 3)
    else:
        with pytest.raises(ValueError, match="image"):
            as_bgr(image)


@pytest.mark.parametrize(
    ("size", "bound", "expected"),
    [
        ((512, 512), (640, 640), (512, 512)),
        ((640, 480), (640, 640), (640, 480)),
        ((1920, 1080), (640, 640), (640, 384)),
        ((500, 10), (640, 640), (512, 32)),
    ],
)
def test_native_size(size: tuple[int, int], bound: tuple[int, int], expected: tuple[int, int]) -> None:
    assert native_size(*size, *bound) == expected


def test_square_crop_enlarges_and_pads() -> None:
    image = np.zeros((100, 100, 3), np.uint8)
    image[40:60, 40:60] = 200
    crop = square_crop(image, (40, 40, 60, 60), 2.0, (40, 40))
    assert crop.shape == (40, 40, 3)
    assert crop[20, 20, 0] == 200 and crop[2, 2, 0] == 0
    edge = square_crop(image, (0, 0, 10, 10), 1.0, (10, 10))
    assert edge[5, 5, 0] == 0
    with pytest.raises(ValueError, match="empty box"):
        square_crop(image, (5, 5, 5, 5), 1.5, (10, 10))


def test_mapping_back_keeps_the_labels() -> None:
    found = Detections.build(np.array([[10, 10, 20, 20]]), np.array([1.0])).labelled(("cat",))
    for fit in (stretch, letterbox):
        _, framing = fit(np.zeros((50, 400, 3), np.uint8), 100, 100)
        assert framing.to_source(found).labels == ("cat",)
    _, identity = stretch(np.zeros((100, 100, 3), np.uint8), 100, 100)
    assert identity.to_source(found).labels == ("cat",)
