"""Sightings: an analysed frame's raw detections, tracked and placed in zones: the FrameView rules read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from service.pipeline.analysis.tracking import Box, Observation, Tracker
from service.pipeline.analysis.zones import Polygon, zones_of


@dataclass(frozen=True, slots=True)
class AnalysedFrame:
    """A worker's output for one frame: detections of every model, boxes in source pixels."""

    camera: str
    width: int  # source frame size (before any reduced decode)
    height: int
    observations: tuple[Observation, ...]
    origin_ns: int
    analysed_s: float  # wall-clock seconds at the end of inference
    event_id: str = ""
    correlation_id: str = ""  # of the message that carried the frame (bus envelope, HTTP trigger)
    image: NDArray[np.uint8] | None = None  # decoded BGR, source size / scale; read-only by convention
    scale: float = 1.0  # source pixels per image pixel (2, 4, 8 after a reduced decode)
    faces: tuple[Box, ...] | None = None  # face boxes (source px) to blur; None = privacy off
    inference_s: tuple[tuple[str, float], ...] = ()  # (model, seconds) of this frame
    stages: tuple[tuple[str, float], ...] = ()  # (stage, seconds) from origin to end of inference
    encoded: bytes = b""  # the frame as received (JPEG/PNG): snapshots are made from it at full size


@dataclass(frozen=True, slots=True)
class StillFrame:
    """A frame the motion gate found unchanged: the camera still sees what it saw last."""

    camera: str
    seen_s: float


@dataclass(frozen=True, slots=True)
class Sighting:
    """One tracked detection of an analysed frame, in source-image pixels."""

    model: str
    label: str
    score: float
    box: Box
    zones: tuple[str, ...]
    track_id: int
    stationary: bool
    scores: tuple[float, ...]  # the track's recent scores, most recent last


@dataclass(frozen=True, slots=True)
class FrameView:
    """What the rules see of one analysed frame."""

    camera: str
    width: int
    height: int
    sightings: tuple[Sighting, ...]
    origin_ns: int
    analysed_s: float
    latency_s: float  # reading origin to end of inference
    event_id: str = ""
    # Where latency_s went: transport (origin -> received), queued (-> a worker took it), decode
    # (image decode and motion gate), inference (every model, second stages included).
    stages: tuple[tuple[str, float], ...] = ()
    correlation_id: str = ""  # of the message that carried the frame


def sight(frame: AnalysedFrame, tracker: Tracker, zones: Mapping[str, Polygon]) -> FrameView:
    """Track the frame's detections (with the camera's tracker) and place them in its zones."""
    infos = tracker.update(frame.observations, frame.analysed_s)
    sightings = tuple(
        Sighting(
            obs.model,
            obs.label,
            obs.score,
            obs.box,
            zones_of(obs.box, zones, frame.width, frame.height),
            info.track_id,
            info.stationary,
            info.scores,
        )
        for obs, info in zip(frame.observations, infos, strict=True)
    )
    latency_s = max(0.0, frame.analysed_s - frame.origin_ns / 1e9)
    return FrameView(
        frame.camera,
        frame.width,
        frame.height,
        sightings,
        frame.origin_ns,
        frame.analysed_s,
        latency_s,
        frame.event_id,
        frame.stages,
        frame.correlation_id,
    )
