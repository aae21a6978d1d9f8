"""One declared model, compiled: a call fits the frame, infers, decodes, then applies the second
stage or the score threshold, and returns Detections in the frame's pixels, named by the model's labels.

Second stage: when the ModelSpec has SecondStage, each first-stage detection's square crop is scored
by the second model (all crops of a frame in one batch) and the detection is KEPT ONLY IF the crop
scores >= SecondStage.MinScore. The kept detection keeps its first-stage score and keypoints.
Per-item decoders (classifier, face-mesh) yield one row per image whatever its score, so their
ScoreThreshold is applied here; the other decoders apply it themselves.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from service.vision.compiler import ModelCompiler
from service.vision.decoders import PER_ITEM_DECODERS
from service.vision.detection import Detections
from service.vision.errors import EngineClosedError, ImageDecodeError, ModelConfigError
from service.vision.framing import Image, as_bgr, native_size, square_crop
from service.vision.runner import Runner
from service.vision.specs import ModelSpec, SecondStageSpec

# submit's completion: the detections in source pixels, or the error that stopped them.
DetectionsCallback = Callable[[Detections | BaseException], None]


@dataclass(frozen=True, slots=True)
class SecondStage:
    """A per-item model that scores a square crop of each first-stage detection."""

    runner: Runner
    settings: SecondStageSpec

    def keep(self, image: Image, found: Detections) -> Detections:
        """The detections whose crop scores >= MinScore (found must not be empty)."""
        size, scale = self.runner.input_size, self.settings.CropScale
        crops = np.stack(
            [square_crop(image, (x1, y1, x2, y2), scale, size) for x1, y1, x2, y2 in found.boxes.tolist()]
        )
        scores = self.runner.infer_batch(crops).scores
        return found.select(scores >= self.settings.MinScore)


class VisionModel:
    """A declared model compiled (at construction) with its second stage; thread-safe.

    Resize=native models get one runner per frame size (rounded within InputSize), compiled on
    first use and kept for the NativeShapesMax sizes used last.
    """

    def __init__(
        self, name: str, spec: ModelSpec, compiler: ModelCompiler, second_spec: ModelSpec | None = None
    ) -> None:
        """Compile `spec`; second_spec is the model named by spec.SecondStage (required with it)."""
        self.name = name
        self.spec = spec
        self._compiler = compiler
        self._labels = spec.Labels
        self._threshold = spec.ScoreThreshold if spec.Decoder in PER_ITEM_DECODERS else None
        self._native_bound = spec.InputSize if spec.Resize == "native" else None
        self._native: OrderedDict[tuple[int, int], Runner] = OrderedDict()
        self._native_max = compiler.settings.NativeShapesMax
        self._lock = threading.Lock()
        self._closed = False
        self._runner, self.device = compiler.build(name, spec, spec.InputSize)
        self._second: SecondStage | None = None
        self._post: ThreadPoolExecutor | None = None
        if spec.SecondStage is not None:
            if second_spec is None:
                raise ModelConfigError(f"model {name!r}: second stage {spec.SecondStage.Model!r} has no spec")
            runner, _ = compiler.build(spec.SecondStage.Model, second_spec, None, dynamic_batch=True)
            self._second = SecondStage(runner, spec.SecondStage)
            # Starts no thread until the first frame needs one.
            self._post = ThreadPoolExecutor(max_workers=2, thread_name_prefix="vision-second-stage")

    @property
    def runner(self) -> Runner:
        """The runner at the compiled input size (Resize=native: at the InputSize bound)."""
        return self._runner

    @property
    def input_size(self) -> tuple[int, int]:
        """(width, height) the model is fed; for Resize=native models, the upper bound."""
        return self.spec.InputSize if self.spec.InputSize is not None else self._runner.input_size

    @property
    def requests_by_batch(self) -> dict[int, int]:
        """Async requests started, by frames per request (the runner at the compiled size)."""
        return self._runner.requests_by_batch

    def infer(self, image: NDArray[np.generic]) -> Detections:
        """Detections on a BGR (or grey) uint8 image, in its pixels; blocks."""
        bgr = _as_image(image)
        return self._finish(bgr, self._runner_for(bgr).infer(bgr))

    def submit(self, image: NDArray[np.generic], done: DetectionsCallback) -> None:
        """Start inference; `done` later gets the detections or the error, on an OpenVINO thread
        (a second stage's thread when the model has one), so it must return quickly. Blocks only
        while every request is busy."""
        bgr = _as_image(image)

        def finished(result: Detections | BaseException) -> None:
            if isinstance(result, BaseException):
                done(result)
            elif self._post is None:
                self._finish_into(bgr, result, done)
            else:
                self._post_finish(bgr, result, done)

        self._runner_for(bgr).submit(bgr, finished)

    def close(self) -> None:
        """Wait for in-flight frames (second stages included), then close every runner.

        The runners stay referenced: the caller drops this object and collects on its own thread
        (see Engine.close)."""
        with self._lock:
            self._closed = True
            runners = [self._runner, *self._native.values()]
        if self._second is not None:
            runners.append(self._second.runner)
        for runner in runners:
            runner.wait_all()
        if self._post is not None:
            self._post.shutdown(wait=True)  # second stages of the frames just finished
        for runner in runners:
            runner.close()

    def _finish(self, image: Image, found: Detections) -> Detections:
        if self._second is not None and len(found):
            found = self._second.keep(image, found)
        elif self._threshold is not None:
            found = found.select(found.scores >= self._threshold)
        return found.labelled(self._labels)

    def _finish_into(self, image: Image, found: Detections, done: DetectionsCallback) -> None:
        try:
            result: Detections | BaseException = self._finish(image, found)
        except Exception as exc:  # edge: the error travels to the caller
            result = exc
        done(result)

    def _post_finish(self, image: Image, found: Detections, done: DetectionsCallback) -> None:
        """Run the second stage on the executor: never block an OpenVINO callback thread on it."""
        assert self._post is not None
        try:
            self._post.submit(self._finish_into, image, found, done)
        except RuntimeError as exc:  # shut down: the frame was submitted while close() ran
            closed = EngineClosedError("engine is closed")
            closed.__cause__ = exc
            done(closed)

    def _runner_for(self, image: Image) -> Runner:
        bound = self._native_bound
        if bound is None:
            return self._runner
        height, width = image.shape[:2]
        size = native_size(width, height, *bound)
        if size == self._runner.input_size:
            return self._runner
        evicted: list[Runner] = []
        with self._lock:
            if self._closed:
                raise EngineClosedError("engine is closed")
            runner = self._native.get(size)
            if runner is None:
                runner, _ = self._compiler.build(self.name, self.spec, size)
                self._native[size] = runner
                while len(self._native) > self._native_max:
                    evicted.append(self._native.popitem(last=False)[1])
            self._native.move_to_end(size)
        for old in evicted:  # outside the lock: its in-flight callbacks may need it
            old.close()
        return runner


def _as_image(image: NDArray[np.generic]) -> Image:
    try:
        return as_bgr(image)
    except ValueError as exc:
        raise ImageDecodeError("array input", str(exc)) from exc
