"""One compiled model at one input shape: host framing, sync and async inference, decoding.

The sync path takes an idle request from a pool (so several threads can infer at once); the async
path feeds an AsyncInferQueue whose callback decodes and hands the result on. Outputs are decoded
inside the callback, before the request is reused, and decoders always copy out of the tensors.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import openvino as ov
from numpy.typing import NDArray

from service.vision.decoders import Decoder
from service.vision.detection import Detections
from service.vision.framing import Framing, Image, letterbox, stretch
from service.vision.registry import ModelSpec

# Called with the detections in source pixels, or with the exception that stopped the inference.
Completion = Callable[[Detections | BaseException], None]


@dataclass(frozen=True, slots=True)
class RunnerParts:
    """What a Runner is built from."""

    spec: ModelSpec
    compiled: ov.CompiledModel
    decoder: Decoder
    width: int
    height: int
    requests: int


class Runner:
    """Runs one compiled model; thread-safe."""

    def __init__(self, parts: RunnerParts) -> None:
        self._parts = parts
        self._decoder = parts.decoder
        self._size = (parts.width, parts.height)
        self._fit = stretch if parts.spec.Resize != "letterbox" else letterbox
        self._outputs = range(len(parts.compiled.outputs))
        self._idle: queue.SimpleQueue[ov.InferRequest] = queue.SimpleQueue()
        for _ in range(parts.requests):
            self._idle.put(parts.compiled.create_infer_request())
        self._queue = ov.AsyncInferQueue(parts.compiled, parts.requests)
        self._queue.set_callback(self._on_done)
        # AsyncInferQueue.start_async is not thread-safe: two threads can pick the same idle request.
        self._submit_lock = threading.Lock()

    @property
    def input_size(self) -> tuple[int, int]:
        """(width, height) fed to the model."""
        return self._size

    @property
    def requests(self) -> int:
        """Inference requests available to each path."""
        return self._parts.requests

    def prepare(self, image: Image) -> tuple[NDArray[np.uint8], Framing]:
        """The [1,H,W,3] u8 BGR tensor for the model, and how to map its pixels back."""
        fitted, framing = self._fit(image, *self._size)
        return np.ascontiguousarray(fitted)[None], framing

    def infer(self, image: Image) -> Detections:
        """Detections in source pixels (blocking)."""
        tensor, framing = self.prepare(image)
        request = self._idle.get()
        try:
            request.infer({0: tensor}, share_inputs=True)
            found = self._decode(request)
        finally:
            self._idle.put(request)
        return framing.to_source(found)

    def infer_batch(self, batch: NDArray[np.uint8]) -> Detections:
        """Per-item decoders only: one row per [N,H,W,3] batch item, in model-input pixels."""
        request = self._idle.get()
        try:
            request.infer({0: batch}, share_inputs=True)
            return self._decode(request)
        finally:
            self._idle.put(request)

    def submit(self, image: Image, done: Completion) -> None:
        """Start inference; `done` runs on an OpenVINO thread. Blocks while every request is busy."""
        tensor, framing = self.prepare(image)
        # The tensor rides along in userdata so it outlives the request that shares its memory.
        with self._submit_lock:
            self._queue.start_async({0: tensor}, (framing, done, tensor), share_inputs=True)

    def _decode(self, request: ov.InferRequest) -> Detections:
        return self._decoder.decode([request.get_output_tensor(i).data for i in self._outputs], self._size)

    def wait_all(self) -> None:
        """Block until every submitted inference has completed."""
        self._queue.wait_all()

    def _on_done(self, request: ov.InferRequest, userdata: tuple[Framing, Completion, object]) -> None:
        framing, done, _ = userdata
        try:
            found = self._decode(request)
            result: Detections | BaseException = framing.to_source(found)
        except Exception as exc:  # edge: the error travels to the caller's future
            result = exc
        done(result)
