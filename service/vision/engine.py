"""The vision engine: named models compiled once, shared by every camera, run sync or async.

The engine only orchestrates: it checks the declared models, owns the OpenVINO Core (and its
compiled-model cache), loads each model by name on first use (or with load()) and closes them all.
What one model does with a frame (fit, infer, decode, second stage, threshold) is
service.vision.model.VisionModel; how it is compiled is service.vision.compiler.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Mapping
from concurrent.futures import Future

import numpy as np
import openvino as ov
from numpy.typing import NDArray

from service.vision.compiler import ModelCompiler
from service.vision.decoders import PER_ITEM_DECODERS
from service.vision.detection import Detections
from service.vision.errors import EngineClosedError, ModelConfigError
from service.vision.model import DetectionsCallback, VisionModel
from service.vision.specs import EngineSettings, ModelSpec


class Engine:
    """Compiles each named model once (lazily, or with load()) and runs it; thread-safe."""

    def __init__(self, models: Mapping[str, ModelSpec], settings: EngineSettings) -> None:
        self._models = dict(models)
        for name, spec in self._models.items():
            self._check_second_stage(name, spec)
        core = ov.Core()
        if settings.CacheDir is not None:
            core.set_property({"CACHE_DIR": str(settings.CacheDir.resolve())})
        self._compiler = ModelCompiler(core, settings)
        self._lock = threading.RLock()
        self._loaded: dict[str, VisionModel] = {}
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
        return spec.InputSize if spec.InputSize is not None else self._get(name).input_size

    def requests_by_batch(self, name: str) -> dict[int, int]:
        """Async requests the model has started, by frames per request (Batch > 1 pairs them up)."""
        return self._get(name).requests_by_batch

    def infer(self, name: str, image: NDArray[np.generic]) -> Detections:
        """Detections on a BGR (or grey) uint8 image, in its pixels; blocks."""
        return self._get(name).infer(image)

    def submit(self, name: str, image: NDArray[np.generic]) -> Future[Detections]:
        """Start inference and return a future; blocks only while every request is busy."""
        future: Future[Detections] = Future()
        future.set_running_or_notify_cancel()

        def resolve(result: Detections | BaseException) -> None:
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)

        self.submit_with(name, image, resolve)
        return future

    def submit_with(self, name: str, image: NDArray[np.generic], done: DetectionsCallback) -> None:
        """Start inference; `done` later gets the detections or the error, on an OpenVINO thread
        (a second stage's thread when the model has one), so it must return quickly. Blocks only
        while every request is busy. Cheaper than submit() per frame: no Future to build.

        A frame that reached a model just replaced by install() (and closing) runs on the new one."""
        while True:
            model = self._get(name)
            try:
                model.submit(image, done)
                return
            except EngineClosedError:
                if self._closed or self._loaded.get(name) is model:
                    raise

    def prepare(self, name: str, spec: ModelSpec) -> VisionModel:
        """Compile `spec` for `name` without serving it (no engine lock held: frames keep running).
        Pass the result to install(), or close() it."""
        self._check_second_stage(name, spec)
        second = self._models[spec.SecondStage.Model] if spec.SecondStage is not None else None
        return VisionModel(name, spec, self._compiler, second)

    def install(self, name: str, model: VisionModel) -> None:
        """Serve `model` as `name` from the next submit on; the model it replaces finishes its
        in-flight frames, then is closed and collected on this thread (see close())."""
        with self._lock:
            if self._closed:
                raise EngineClosedError("engine is closed")
            old = self._loaded.get(name)
            self._models[name] = model.spec
            self._loaded[name] = model
        del model
        if old is not None:
            old.close()
            del old
            gc.collect()

    def loaded_device(self, name: str) -> str | None:
        """The device of a compiled model; None before its first use (nothing is compiled)."""
        model = self._loaded.get(name)
        return model.device if model is not None else None

    def spec(self, name: str) -> ModelSpec:
        """The declaration `name` is served from now."""
        return self._spec(name)

    def close(self) -> None:
        """Wait for in-flight inferences, then release every compiled model."""
        with self._lock:
            self._closed = True
            loaded, self._loaded = list(self._loaded.values()), {}
        # Compiled models must be freed on this thread: dropped by a garbage collection that
        # happens to run on an OpenVINO callback thread, one would join that thread from itself
        # (std::terminate, "Resource deadlock avoided"). So no name (not even a loop variable)
        # may keep a model past the collection below.
        while loaded:
            loaded.pop().close()
        gc.collect()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _spec(self, name: str) -> ModelSpec:
        spec = self._models.get(name)
        if spec is None:
            raise ModelConfigError(f"unknown model {name!r}; declared: {', '.join(sorted(self._models))}")
        return spec

    def _get(self, name: str) -> VisionModel:
        loaded = self._loaded.get(name)
        if loaded is not None:
            return loaded
        spec = self._spec(name)
        with self._lock:
            if self._closed:
                raise EngineClosedError("engine is closed")
            if name not in self._loaded:
                second = self._models[spec.SecondStage.Model] if spec.SecondStage is not None else None
                self._loaded[name] = VisionModel(name, spec, self._compiler, second)
            return self._loaded[name]
