"""Analysis stage: an encoded frame -> decoded image -> motion gate -> models -> AnalysedFrame.

Runs on the worker threads; a camera is handled by one worker at a time (frames.py), so the
per-camera state here (motion gate, source size, last analysis time) needs no lock. JPEGs are
decoded at 1/2, 1/4 or 1/8 size (libjpeg DCT scaling, far cheaper than a full decode plus resize)
when every model of the camera would still get at least its own input resolution.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np
from numpy.typing import NDArray

from service.pipeline.errors import FrameDecodeError
from service.pipeline.frames import DropReason, Frame
from service.pipeline.settings import PipelineSettings
from service.pipeline.sighting import AnalysedFrame
from service.pipeline.snapshots import head_boxes
from service.pipeline.tracking import Box, Observation
from service.vision.detection import Detection
from service.vision.motion import MotionGate, MotionParams

INFERENCE_TIMEOUT_S = 30.0
_REDUCED = ((8, cv2.IMREAD_REDUCED_COLOR_8), (4, cv2.IMREAD_REDUCED_COLOR_4), (2, cv2.IMREAD_REDUCED_COLOR_2))


class VisionEngine(Protocol):
    """What the pipeline needs of service.vision.engine.Engine (a fake engine in unit tests)."""

    def input_size(self, name: str) -> tuple[int, int]: ...

    def submit(self, name: str, image: NDArray[np.generic]) -> Future[list[Detection]]: ...


@dataclass(slots=True)
class _Camera:
    gate: MotionGate
    source_size: tuple[int, int] | None = None
    last_analysed_s: float = -math.inf
    motion_pct: float = 0.0


def reduction_factor(source: tuple[int, int], inputs: list[tuple[int, int]]) -> int:
    """Largest of 8/4/2 that keeps the longer fitted side >= each model's input, else 1."""
    width, height = source
    limit = min(max(width / w, height / h) for w, h in inputs) if inputs else 1.0
    return next((factor for factor, _ in _REDUCED if factor <= limit), 1)


class FrameAnalyser:
    """Decode, gate and run the camera's models (and the privacy face model) on one frame."""

    def __init__(
        self, settings: PipelineSettings, engine: VisionEngine, clock: Callable[[], float] = time.time
    ) -> None:
        self._settings = settings
        self._engine = engine
        self._clock = clock
        self._cameras: dict[str, _Camera] = {}
        self._forced: set[str] = set()
        self._lock = threading.Lock()

    def request_frame(self, camera: str) -> None:
        """Analyse the camera's next frame whatever the motion gate says (fusion rules)."""
        with self._lock:
            self._forced.add(camera)

    def motion_pct(self, camera: str) -> float:
        """Changed share of the camera's last gated frame, %."""
        state = self._cameras.get(camera)
        return state.motion_pct if state is not None else 0.0

    def analyse(self, frame: Frame) -> AnalysedFrame | DropReason:
        """The frame's detections, or why it was skipped; FrameDecodeError for unreadable bytes."""
        now = self._clock()
        if now - frame.origin_ns / 1e9 > self._settings.MaxFrameAgeS:
            return DropReason.STALE
        camera = self._camera(frame.camera)
        models = self._settings.models_for(frame.camera)
        image, factor = self._decode(frame, camera, models)
        with self._lock:
            forced = frame.forced or frame.camera in self._forced
            self._forced.discard(frame.camera)
        if self._settings.Motion.Enabled:
            verdict = camera.gate.check(image)
            camera.motion_pct = verdict.changed_pct
            heartbeat_due = now - camera.last_analysed_s >= self._settings.HeartbeatS
            if not (verdict.motion or forced or heartbeat_due):
                return DropReason.NO_MOTION
        camera.last_analysed_s = now
        return self._infer(frame, image, float(factor), models)

    def _infer(
        self, frame: Frame, image: NDArray[np.uint8], factor: float, models: tuple[str, ...]
    ) -> AnalysedFrame:
        privacy = self._settings.Privacy
        face_model = privacy.FaceModel if privacy.BlurFaces else ""
        names = (*models, face_model) if face_model and face_model not in models else models
        started = time.perf_counter()
        finished: dict[str, float] = {}
        futures: dict[str, Future[list[Detection]]] = {}
        for name in names:
            futures[name] = self._engine.submit(name, image)
            futures[name].add_done_callback(_stamp(finished, name))
        results = {name: future.result(INFERENCE_TIMEOUT_S) for name, future in futures.items()}
        observations = tuple(
            Observation(name, d.label, d.score, _scaled(d.box, factor))
            for name in models for d in results[name]
        )
        faces: tuple[Box, ...] | None = None
        if privacy.BlurFaces:
            found = [_scaled(d.box, factor) for d in results[face_model]] if face_model else []
            faces = (*found, *uncovered_heads(observations, found))
        height, width = image.shape[:2]
        return AnalysedFrame(
            frame.camera, round(width * factor), round(height * factor), observations, frame.origin_ns,
            self._clock(), frame.event_id, image, factor, faces,
            tuple((name, finished.get(name, time.perf_counter()) - started) for name in names),
        )

    def _camera(self, name: str) -> _Camera:
        state = self._cameras.get(name)
        if state is None:
            motion = self._settings.Motion
            device = self._settings.Devices.get(name)
            masks = tuple(tuple(p) for p in device.MotionMasks) if device is not None else ()
            params = MotionParams(motion.WidthPx, motion.PixelThreshold, motion.MinChangedPct,
                                  motion.BackgroundAlpha, masks)
            state = self._cameras[name] = _Camera(MotionGate(params))
        return state

    def _decode(
        self, frame: Frame, camera: _Camera, models: tuple[str, ...]
    ) -> tuple[NDArray[np.uint8], int]:
        factor = 1
        reducible = self._settings.DecodeReduced and frame.media_type == "image/jpeg"
        if reducible and camera.source_size is not None:
            factor = reduction_factor(camera.source_size, [self._engine.input_size(m) for m in models])
        flag = dict(_REDUCED).get(factor, cv2.IMREAD_COLOR)
        image = cv2.imdecode(np.frombuffer(frame.data, np.uint8), flag)
        if image is None or image.size == 0:
            raise FrameDecodeError(frame.camera, f"{len(frame.data)} B of {frame.media_type} do not decode")
        camera.source_size = (image.shape[1] * factor, image.shape[0] * factor)
        return np.asarray(image, np.uint8), factor


def uncovered_heads(observations: tuple[Observation, ...], faces: list[Box]) -> list[Box]:
    """Head areas of people in whom the face model found no face: a missed face is still blurred."""
    heads = []
    for head in head_boxes(observations):
        covered = any(f[0] < head[2] and head[0] < f[2] and f[1] < head[3] and head[1] < f[3] for f in faces)
        if not covered:
            heads.append(head)
    return heads


def _stamp(finished: dict[str, float], name: str) -> Callable[[Future[list[Detection]]], None]:
    def record(_future: Future[list[Detection]]) -> None:
        finished[name] = time.perf_counter()

    return record


def _scaled(box: tuple[float, float, float, float], factor: float) -> Box:
    return (box[0] * factor, box[1] * factor, box[2] * factor, box[3] * factor)
