"""The vision engine: named models compiled once, shared by every camera, run sync or async.

Second stage: when a ModelSpec has SecondStage, each first-stage detection's square crop is scored
by the second model (all crops of a frame in one batch) and the detection is KEPT ONLY IF the crop
scores >= SecondStage.MinScore. The kept detection keeps its first-stage score and keypoints.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import openvino as ov
from numpy.typing import NDArray

from service.vision.decoders import (
    PER_ITEM_DECODERS,
    DecoderInput,
    FoldingDecoder,
    OutputInfo,
    create_decoder,
)
from service.vision.detection import Detection, Detections
from service.vision.errors import EngineClosedError, ImageDecodeError, ModelConfigError, ModelLoadError
from service.vision.framing import Image, as_bgr, native_size, square_crop
from service.vision.loader import (
    InputShape,
    compile_model,
    embed_preprocessing,
    flips_on_host,
    input_layout,
    read_model,
    reshape,
    static_size,
)
from service.vision.registry import EngineSettings, ModelSpec
from service.vision.runner import Runner, RunnerParts, Variant

log = logging.getLogger(__name__)

# submit_with's completion: the detections in source pixels, or the error that stopped them.
DetectionsCallback = Callable[[list[Detection] | BaseException], None]


@dataclass(slots=True)
class _Loaded:
    """A named model: one runner, or one per frame size for Resize=native models."""

    name: str
    spec: ModelSpec
    runner: Runner
    device: str
    second: Runner | None = None
    native: OrderedDict[tuple[int, int], Runner] = field(default_factory=OrderedDict)


class Engine:
    """Compiles each named model once (lazily, or with load()) and runs it; thread-safe."""

    def __init__(self, models: Mapping[str, ModelSpec], settings: EngineSettings) -> None:
        self._models = dict(models)
        self._settings = settings
        for name, spec in self._models.items():
            self._check_second_stage(name, spec)
        self._core = ov.Core()
        if settings.CacheDir is not None:
            self._core.set_property({"CACHE_DIR": str(settings.CacheDir.resolve())})
        self._models_dir = settings.ModelsDir.resolve()
        self._lock = threading.RLock()
        self._loaded: dict[str, _Loaded] = {}
        self._post: ThreadPoolExecutor | None = None
        self._closed = False

    def _check_second_stage(self, name: str, spec: ModelSpec) -> None:
        if spec.SecondStage is None:
            return
        target = self._models.get(spec.SecondStage.Model)
        if target is None:
            raise ModelConfigError(
                f"model {name!r}: second stage {spec.SecondStage.Model!r} is not a declared model "
                f"(declared: {', '.join(sorted(self._models))})"
            )
        if target.Decoder not in PER_ITEM_DECODERS:
            raise ModelConfigError(
                f"model {name!r}: second stage {spec.SecondStage.Model!r} uses decoder {target.Decoder!r}; "
                f"a second stage needs one of {', '.join(sorted(PER_ITEM_DECODERS))}"
            )

    @property
    def names(self) -> tuple[str, ...]:
        """Declared model names."""
        return tuple(self._models)

    def load(self, name: str) -> None:
        """Compile the model (and its second stage) now instead of on first use."""
        self._get(name)

    def device(self, name: str) -> str:
        """The device the model was compiled on (after any fallback)."""
        return self._get(name).device

    def input_size(self, name: str) -> tuple[int, int]:
        """(width, height) the model is fed; for Resize=native models, the upper bound."""
        spec = self._spec(name)
        return spec.InputSize if spec.InputSize is not None else self._get(name).runner.input_size

    def requests_by_batch(self, name: str) -> dict[int, int]:
        """Async requests the model has started, by frames per request (Batch > 1 pairs them up)."""
        return self._get(name).runner.requests_by_batch

    def infer(self, name: str, image: NDArray[np.generic]) -> list[Detection]:
        """Detections on a BGR (or grey) uint8 image, in its pixels; blocks."""
        loaded = self._get(name)
        bgr = _as_image(image)
        found = self._runner_for(loaded, bgr).infer(bgr)
        return self._finish(loaded, bgr, found)

    def submit(self, name: str, image: NDArray[np.generic]) -> Future[list[Detection]]:
        """Start inference and return a future; blocks only while every request is busy."""
        future: Future[list[Detection]] = Future()
        future.set_running_or_notify_cancel()

        def resolve(result: list[Detection] | BaseException) -> None:
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)

        self.submit_with(name, image, resolve)
        return future

    def submit_with(self, name: str, image: NDArray[np.generic], done: DetectionsCallback) -> None:
        """Start inference; `done` later gets the detections or the error, on an OpenVINO thread
        (a second stage's thread when the model has one), so it must return quickly. Blocks only
        while every request is busy. Cheaper than submit() per frame: no Future to build."""
        loaded = self._get(name)
        bgr = _as_image(image)

        def finished(result: Detections | BaseException) -> None:
            if isinstance(result, BaseException):
                done(result)
            elif loaded.second is None:
                self._finish_into(loaded, bgr, result, done)
            else:  # never block an OpenVINO callback thread on a second inference
                self._executor().submit(self._finish_into, loaded, bgr, result, done)

        self._runner_for(loaded, bgr).submit(bgr, finished)

    def close(self) -> None:
        """Wait for in-flight inferences, then release every compiled model."""
        with self._lock:
            self._closed = True
            loaded, self._loaded = list(self._loaded.values()), {}
        runners = [
            runner
            for item in loaded
            for runner in (item.runner, *item.native.values(), *([item.second] if item.second else []))
        ]
        for runner in runners:
            runner.wait_all()
        if self._post is not None:
            self._post.shutdown(wait=True)  # second stages of the frames just finished
        for runner in runners:
            runner.close()
        # Compiled models must be freed on this thread: dropped by a garbage collection that
        # happens to run on an OpenVINO callback thread, one would join that thread from itself
        # (std::terminate, "Resource deadlock avoided").
        del runners, loaded
        gc.collect()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _finish(self, loaded: _Loaded, image: Image, found: Detections) -> list[Detection]:
        spec = loaded.spec
        if loaded.second is not None and spec.SecondStage is not None and len(found):
            crop_size = loaded.second.input_size
            crops = np.stack(
                [
                    square_crop(image, (x1, y1, x2, y2), spec.SecondStage.CropScale, crop_size)
                    for x1, y1, x2, y2 in found.boxes.tolist()
                ]
            )
            scores = loaded.second.infer_batch(crops).scores
            found = found.select(scores >= spec.SecondStage.MinScore)
        elif spec.Decoder in PER_ITEM_DECODERS:
            found = found.select(found.scores >= spec.ScoreThreshold)
        return found.to_list(spec.Labels)

    def _finish_into(
        self, loaded: _Loaded, image: Image, found: Detections, done: DetectionsCallback
    ) -> None:
        try:
            result: list[Detection] | BaseException = self._finish(loaded, image, found)
        except Exception as exc:  # edge: the error travels to the caller
            result = exc
        done(result)

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._post is None:
                self._post = ThreadPoolExecutor(max_workers=2, thread_name_prefix="vision-second-stage")
            return self._post

    def _spec(self, name: str) -> ModelSpec:
        spec = self._models.get(name)
        if spec is None:
            raise ModelConfigError(f"unknown model {name!r}; declared: {', '.join(sorted(self._models))}")
        return spec

    def _get(self, name: str) -> _Loaded:
        loaded = self._loaded.get(name)
        if loaded is not None:
            return loaded
        spec = self._spec(name)
        with self._lock:
            if self._closed:
                raise EngineClosedError("engine is closed")
            if name not in self._loaded:
                runner, device = self._build(name, spec, spec.InputSize)
                second = None
                if spec.SecondStage is not None:
                    stage = spec.SecondStage.Model
                    second, _ = self._build(stage, self._models[stage], None, dynamic_batch=True)
                self._loaded[name] = _Loaded(name, spec, runner, device, second)
            return self._loaded[name]

    def _runner_for(self, loaded: _Loaded, image: Image) -> Runner:
        if loaded.spec.Resize != "native" or loaded.spec.InputSize is None:
            return loaded.runner
        height, width = image.shape[:2]
        size = native_size(width, height, *loaded.spec.InputSize)
        if size == loaded.runner.input_size:
            return loaded.runner
        evicted: list[Runner] = []
        with self._lock:
            runner = loaded.native.get(size)
            if runner is None:
                runner, _ = self._build(loaded.name, loaded.spec, size)
                loaded.native[size] = runner
                while len(loaded.native) > self._settings.NativeShapesMax:
                    evicted.append(loaded.native.popitem(last=False)[1])
            loaded.native.move_to_end(size)
        for old in evicted:  # outside the lock: its in-flight callbacks may need it
            old.close()
        return runner

    def _path(self, spec: ModelSpec) -> Path:
        path = Path(spec.File)
        return path if path.is_absolute() else self._models_dir / path

    def _build(
        self, name: str, spec: ModelSpec, size: tuple[int, int] | None, dynamic_batch: bool = False
    ) -> tuple[Runner, str]:
        started = time.monotonic()
        path = self._path(spec)
        batches = [1]
        if spec.Batch > 1 and self._settings.PerformanceHint == "THROUGHPUT" and not dynamic_batch:
            batches = sorted({1 << i for i in range(spec.Batch.bit_length())} | {spec.Batch})
        variants: dict[int, Variant] = {}
        fitted: tuple[int, int] | None = size
        device = ""
        for batch in batches:
            variants[batch], device, fitted = self._compile(spec, path, fitted, batch, dynamic_batch)
        size = fitted
        assert size is not None  # _compile returns the size it compiled for
        single = variants[1].compiled
        requests = self._settings.RequestsInFlight or _default_requests(
            self._settings.PerformanceHint,
            int(single.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS")),
            max(batches),
        )
        log.info(
            "loaded model %s from %s at %dx%d on %s (hint %s, %d requests, batch %s, %.2f s)",
            name,
            path,
            size[0],
            size[1],
            device,
            self._settings.PerformanceHint,
            requests,
            "/".join(map(str, batches)),
            time.monotonic() - started,
        )
        return Runner(RunnerParts(spec, variants, size[0], size[1], requests)), device

    def _compile(
        self, spec: ModelSpec, path: Path, size: tuple[int, int] | None, batch: int, dynamic_batch: bool
    ) -> tuple[Variant, str, tuple[int, int]]:
        """Read, reshape to batch (or dynamic) x size, fold, embed preprocessing, compile."""
        model = read_model(self._core, path)
        layout = input_layout(model, path)
        size = size or static_size(model, layout)
        if size is None:
            raise ModelLoadError(path, "the input size is dynamic; set InputSize")
        reshape(model, InputShape(layout, size[0], size[1], dynamic_batch, batch), path)
        outputs = tuple(
            OutputInfo(
                frozenset(o.get_names()),
                tuple(d.get_length() if d.is_static else -1 for d in o.get_partial_shape()),
            )
            for o in model.outputs
        )
        decoder = create_decoder(spec.Decoder, DecoderInput(spec, outputs, path, batch))
        if isinstance(decoder, FoldingDecoder) and self._settings.PerformanceHint == "THROUGHPUT":
            model = decoder.fold(model)  # decoding on the inference streams frees the GIL
        if batch > 1 and any(o.get_partial_shape()[0] != batch for o in model.outputs):
            shapes = ", ".join(str(o.get_partial_shape()) for o in model.outputs)
            raise ModelLoadError(path, f"Batch {spec.Batch} needs outputs with the batch first; got {shapes}")
        host_rgb = flips_on_host(model, spec)
        model = embed_preprocessing(model, spec, layout)
        config: dict[str, str] = {"PERFORMANCE_HINT": self._settings.PerformanceHint}
        compiled, device = compile_model(
            self._core, model, spec.Device or self._settings.Device, config, path
        )
        return Variant(compiled, decoder, host_rgb), device, size


def _default_requests(hint: str, optimal: int, batch: int) -> int:
    """Requests (slots) per model when RequestsInFlight is 0.

    LATENCY: at least 2, so host work on one frame overlaps inference of the next. THROUGHPUT: 4x
    the device optimum, so the streams always have queued work while Python (one GIL) prepares
    inputs and decodes outputs; measured 0.6x -> 0.9x+ of benchmark_app on BlazeFace. With Batch,
    2x: fewer slots let frames wait and pair up (BlazeFace, 4 streams: with 8 slots 59% of the
    requests carried one frame, with 4 under 1%; 3,503 -> 3,581-4,122 FPS in one session).
    """
    if hint == "LATENCY":
        return max(2, optimal)
    return (2 if batch > 1 else 4) * max(1, optimal)


def _as_image(image: NDArray[np.generic]) -> Image:
    try:
        return as_bgr(image)
    except ValueError as exc:
        raise ImageDecodeError("array input", str(exc)) from exc
