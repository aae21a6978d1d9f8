"""Analysis stage: an encoded frame -> decoded image -> motion gate -> models -> AnalysedFrame.

A stream frame comes decoded (Frame.image, from its reader): it skips the decode step.

Runs on the worker threads; a camera is handled by one worker at a time (ingest/frame_slots.py), so
a camera's AnalysisState (motion gate, source size, last analysis time) needs no lock; only its
forced flag, set by the control thread, is read under the analyser's lock. JPEGs are
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

from service.pipeline.analysis.annotate import head_boxes
from service.pipeline.analysis.sighting import AnalysedFrame
from service.pipeline.analysis.tracking import Box, Observation, iou
from service.pipeline.errors import FrameDecodeError
from service.pipeline.ingest.frame import DropReason, Frame
from service.pipeline.settings import PipelineSettings
from service.vision.detection import Detections
from service.vision.motion import MotionGate, MotionParams

INFERENCE_TIMEOUT_S = 30.0
_REDUCED = ((8, cv2.IMREAD_REDUCED_COLOR_8), (4, cv2.IMREAD_REDUCED_COLOR_4), (2, cv2.IMREAD_REDUCED_COLOR_2))
_DECODE_FLAGS = {**dict(_REDUCED), 1: cv2.IMREAD_COLOR}


class VisionEngine(Protocol):
    """What the pipeline needs of service.vision.engine.Engine (a fake engine in unit tests)."""

    def input_size(self, name: str) -> tuple[int, int]: ...

    def submit(self, name: str, image: NDArray[np.generic]) -> Future[Detections]: ...


@dataclass(slots=True)
class AnalysisState:
    """What the analyser keeps of one camera (held by the camera's state object)."""

    camera: str
    gate: MotionGate
    models: tuple[str, ...]  # the camera's models, rules' models included
    runs: tuple[str, ...]  # models plus the privacy face model: what each analysed frame runs
    inputs: list[tuple[int, int]] | None = None  # each model's input size (reduced decode), on first frame
    source_size: tuple[int, int] | None = None
    factor: int = 1  # reduced-decode factor for source_size
    last_analysed_s: float = -math.inf
    forced: bool = False  # a fusion rule wants the next frame whatever the motion gate says
    # Set by the control thread: something is tracked, or a rule is collecting evidence (persistence,
    # an active alert, a fusion window), so a still frame is analysed too: a person standing still
    # must keep matching (Frigate likewise keeps detecting on tracked objects whatever the motion).
    keep_analysing: bool = False


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
        privacy = settings.Privacy
        self._face_model = privacy.FaceModel if privacy.BlurFaces else ""
        self._lock = threading.Lock()

    def request_frame(self, camera: AnalysisState) -> None:
        """Analyse the camera's next frame whatever the motion gate says (fusion rules)."""
        with self._lock:
            camera.forced = True

    def analyse(self, camera: AnalysisState, frame: Frame) -> AnalysedFrame | DropReason:
        """The frame's detections, or why it was skipped; FrameDecodeError for unreadable bytes."""
        now = self._clock()
        if now - frame.origin_ns / 1e9 > self._settings.MaxFrameAgeS:
            return DropReason.STALE
        decode_started = time.perf_counter()
        image, factor = self._decode(frame, camera)
        with self._lock:
            forced = frame.forced or camera.forced
            camera.forced = False
        if self._settings.Motion.Enabled:
            verdict = camera.gate.check(image)
            heartbeat_due = now - camera.last_analysed_s >= self._settings.HeartbeatS
            if not (verdict.motion or forced or heartbeat_due or camera.keep_analysing):
                return DropReason.NO_MOTION
        received_s = frame.received_ns / 1e9
        stages = (
            ("transport", max(0.0, received_s - frame.origin_ns / 1e9)),
            ("queued", max(0.0, now - received_s)),
            ("decode", time.perf_counter() - decode_started),
        )
        try:
            analysed = self._infer(frame, image, float(factor), camera, stages)
        except Exception:
            if forced:  # the fusion rule still wants a frame: the next one is forced instead
                with self._lock:
                    camera.forced = True
            raise
        camera.last_analysed_s = now  # only an analysis that gave a result resets the heartbeat
        return analysed

    def _infer(
        self,
        frame: Frame,
        image: NDArray[np.uint8],
        factor: float,
        camera: AnalysisState,
        stages: tuple[tuple[str, float], ...],
    ) -> AnalysedFrame:
        face_model = self._face_model
        started = time.perf_counter()
        finished: dict[str, float] = {}
        futures: dict[str, Future[Detections]] = {}
        for name in camera.runs:
            futures[name] = self._engine.submit(name, image)
            futures[name].add_done_callback(_stamp(finished, name))
        # Back to source pixels after a reduced decode (factor 1, 2, 4 or 8: exact in float32).
        results = {
            name: future.result(INFERENCE_TIMEOUT_S).scaled(factor) for name, future in futures.items()
        }
        observations = tuple(
            Observation(name, d.label, d.score, d.box) for name in camera.models for d in results[name]
        )
        faces: tuple[Box, ...] | None = None
        if self._settings.Privacy.BlurFaces:
            found = [d.box for d in results[face_model]] if face_model else []
            faces = (*found, *uncovered_heads(observations, found))
        height, width = image.shape[:2]
        ended = time.perf_counter()
        inference_s = tuple((name, finished.get(name, ended) - started) for name in camera.runs)
        return AnalysedFrame(
            frame.camera,
            round(width * factor),
            round(height * factor),
            observations,
            frame.origin_ns,
            self._clock(),
            frame.event_id,
            frame.correlation_id,
            image,
            factor,
            faces,
            inference_s,
            (*stages, ("inference", max((seconds for _, seconds in inference_s), default=0.0))),
            frame.data,
        )

    def new_state(self, name: str) -> AnalysisState:
        """A camera's analysis state, before its first frame (its models' input sizes are known)."""
        models = self._settings.models_for(name)
        face = self._face_model
        runs = (*models, face) if face and face not in models else models
        return AnalysisState(name, self.new_gate(name), models, runs)

    def new_gate(self, name: str) -> MotionGate:
        """A motion gate with the camera's masks (a fresh background: its first frame is motion)."""
        motion = self._settings.Motion
        device = self._settings.Devices.get(name)
        masks = tuple(tuple(p) for p in device.MotionMasks) if device is not None else ()
        params = MotionParams(
            motion.WidthPx, motion.PixelThreshold, motion.MinChangedPct, motion.BackgroundAlpha, masks
        )
        return MotionGate(params)

    def set_settings(self, settings: PipelineSettings) -> None:
        """Settings edited live (the cameras' masks): new gates are built from them."""
        self._settings = settings

    def _decode(self, frame: Frame, camera: AnalysisState) -> tuple[NDArray[np.uint8], int]:
        image: NDArray[np.generic] | None = frame.image  # a stream frame, decoded by its reader
        factor = 1
        if image is None:
            reducible = self._settings.DecodeReduced and frame.media_type == "image/jpeg"
            factor = camera.factor if reducible else 1
            image = cv2.imdecode(np.frombuffer(frame.data, np.uint8), _DECODE_FLAGS[factor])
        if image is None or image.size == 0:
            raise FrameDecodeError(frame.camera, f"{len(frame.data)} B of {frame.media_type} do not decode")
        source = (image.shape[1] * factor, image.shape[0] * factor)
        if source != camera.source_size:  # a new camera, or its resolution changed
            if camera.inputs is None:
                camera.inputs = [self._engine.input_size(model) for model in camera.models]
            camera.source_size, camera.factor = source, reduction_factor(source, camera.inputs)
        return np.asarray(image, np.uint8), factor


def uncovered_heads(observations: tuple[Observation, ...], faces: list[Box]) -> list[Box]:
    """Head areas of people in whom the face model found no face: a missed face is still blurred."""
    return [head for head in head_boxes(observations) if not any(iou(face, head) > 0 for face in faces)]


def _stamp(finished: dict[str, float], name: str) -> Callable[[Future[Detections]], None]:
    def record(_future: Future[Detections]) -> None:
        finished[name] = time.perf_counter()

    return record
