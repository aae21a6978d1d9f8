from pathlib import Path

import cv2
import numpy as np
import pytest

from service.vision.errors import ImageDecodeError
from service.vision.images import decode_image, read_image


def test_decode_png_and_reduced_jpeg() -> None:
    image = np.zeros((64, 80, 3), np.uint8)
    image[:, :40] = (255, 0, 0)
    ok, png = cv2.imencode(".png", image)
    assert ok
    assert decode_image(png.tobytes(), "mem").tolist() == image.tolist()
    ok, jpeg = cv2.imencode(".jpg", image)
    assert decode_image(jpeg.tobytes(), "mem", reduction=4).shape == (16, 20, 3)


@pytest.mark.parametrize(("data", "reason"), [(b"", "no data"), (b"hello, world", "not a decodable image")])
def test_decode_rejects(data: bytes, reason: str) -> None:
    with pytest.raises(ImageDecodeError, match=f"cannot read image frame-7: {reason}"):
        decode_image(data, "frame-7")


def test_read_image_names_the_file(tmp_path: Path) -> None:
    text = tmp_path / "notes.jpg"
    text.write_text("not an image")
    with pytest.raises(ImageDecodeError, match=r"notes\.jpg"):
        read_image(text)
    with pytest.raises(ImageDecodeError, match=r"missing\.png"):
        read_image(tmp_path / "missing.png")


def test_bad_reduction() -> None:
    with pytest.raises(ValueError, match="reduction"):
        decode_image(b"x", "mem", reduction=3)
