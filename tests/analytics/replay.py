"""Replaying a scene: the real person model on every frame, then a tracker and sight(), then counting."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from service.pipeline.analysis.sighting import AnalysedFrame, FrameView, sight
from service.pipeline.analysis.tracking import Observation, Tracker
from service.pipeline.analytics import CameraCounter, CounterSetup, CountingEvents, CountingSettings
from service.pipeline.settings import TrackingSettings
from service.vision.engine import Engine
from tests.analytics.scenes import HEIGHT, WIDTH, Scene, SceneFrame, render, truth_view

MODEL = "person"


@dataclass(frozen=True, slots=True)
class DetectedFrame:
    """A rendered frame (truth included) and what the person model found in it."""

    frame: SceneFrame
    observations: tuple[Observation, ...]


def detect(engine: Engine, scene: Scene) -> list[DetectedFrame]:
    """Every frame of the scene through the bundled person model, boxes in frame pixels."""
    return [
        DetectedFrame(
            frame,
            tuple(Observation(MODEL, d.label, d.score, d.box) for d in engine.infer(MODEL, frame.image)),
        )
        for frame in render(scene)
    ]


def track(scene: Scene, detected: Sequence[DetectedFrame], tracking: TrackingSettings) -> list[FrameView]:
    """The current tracker over the detections, as the control loop's track stage runs it."""
    tracker = Tracker(tracking)
    return [
        sight(
            AnalysedFrame(scene.name, WIDTH, HEIGHT, item.observations, 0, item.frame.time_s),
            tracker,
            scene.zones,
        )
        for item in detected
    ]


def truth_views(scene: Scene, frames: Iterable[SceneFrame]) -> list[FrameView]:
    """The frames as a perfect detector and tracker would give them."""
    return [truth_view(scene, frame) for frame in frames]


def counter_for(scene: Scene, tracking: TrackingSettings) -> CameraCounter:
    """A fresh counter for the scene's camera."""
    return CameraCounter(CounterSetup(scene.lines, tuple(scene.zones), CountingSettings(), tracking))


def count(counter: CameraCounter, views: Iterable[FrameView]) -> list[CountingEvents]:
    """Feed every view to the counter, in order; the events of each frame."""
    return [counter.update(view) for view in views]
