"""service/vision/motion.py: first frame counts, still frames do not, masks hide changes."""

from __future__ import annotations

import numpy as np
import pytest

from service.vision.motion import MotionGate, MotionParams


def image(value: int = 100, patch: tuple[slice, slice] | None = None, patch_value: int = 250) -> np.ndarray:
    pixels = np.full((240, 320, 3), value, np.uint8)
    if patch is not None:
        pixels[patch] = patch_value
    return pixels


LEFT_HALF = (slice(0, 240), slice(0, 160))
SMALL = (slice(100, 104), slice(100, 104))  # 16 px of 76800: ~0.02 %


@pytest.mark.parametrize(
    ("second", "motion"),
    [
        (image(), False),
        (image(102), False),  # sensor noise below PixelThreshold
        (image(patch=LEFT_HALF), True),
        (image(patch=SMALL), False),  # below MinChangedPct
        (image(200), True),  # lights on
    ],
)
def test_second_frame(second: np.ndarray, motion: bool) -> None:
    gate = MotionGate(MotionParams())
    assert gate.check(image()).motion  # first frame always counts
    assert gate.check(second).motion is motion


def test_masked_area_is_ignored() -> None:
    gate = MotionGate(MotionParams(masks=(((0.0, 0.0), (0.55, 0.0), (0.55, 1.0), (0.0, 1.0)),)))
    gate.check(image())
    assert not gate.check(image(patch=LEFT_HALF)).motion


def test_same_scene_at_half_size_is_still_but_aspect_change_and_reset_count() -> None:
    gate = MotionGate(MotionParams())
    gate.check(image())
    assert not gate.check(np.full((120, 160, 3), 100, np.uint8)).motion  # a reduced decode
    assert gate.check(np.full((120, 320, 3), 100, np.uint8)).motion  # another aspect ratio
    gate.reset()
    assert gate.check(np.full((120, 320, 3), 100, np.uint8)).motion


def test_background_adapts_to_a_lasting_change() -> None:
    gate = MotionGate(MotionParams(background_alpha=0.5))
    gate.check(image())
    results = [gate.check(image(patch=LEFT_HALF)).motion for _ in range(8)]
    assert results[0] and not results[-1]


def test_grey_input_is_accepted() -> None:
    gate = MotionGate(MotionParams())
    assert gate.check(np.zeros((50, 50), np.uint8)).changed_pct == 100.0
    assert gate.check(np.zeros((50, 50), np.uint8)).changed_pct == 0.0
