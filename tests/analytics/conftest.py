"""Synthetic scenes through the real person model: each scene is detected once per session."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from service.vision.engine import Engine
from tests.analytics.replay import DetectedFrame, detect
from tests.analytics.scene_set import HARD_SCENES, SCENES

Detections = Callable[[str], list[DetectedFrame]]


@pytest.fixture(scope="session")
def detections(engine: Engine) -> Detections:
    """detections(scene name): the scene's frames and what the bundled person model found in each."""
    done: dict[str, list[DetectedFrame]] = {}
    by_name = {scene.name: scene for scene in SCENES + HARD_SCENES}

    def of(name: str) -> list[DetectedFrame]:
        if name not in done:
            done[name] = detect(engine, by_name[name])
        return done[name]

    return of
