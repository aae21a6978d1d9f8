"""One compiled model at one input size: host framing, sync and async inference, decoding, batching.

The sync path takes an idle request from a pool (so several threads can infer at once) and runs
it with infer(share_outputs=True) on the calling thread: no copy of the outputs, and no hand-off to
another thread and back (measured 0.31 -> 0.28 ms on BlazeFace, where start_async + wait was used
before).

The async path keeps a fixed set of slots, each one request in flight. A submitted frame starts at
once on an idle slot; when every slot is busy it waits in a bounded queue (submit blocks when that
is full), and a finishing slot restarts itself with what waits there, from its completion callback,
so the inference streams never wait for a Python thread to wake up. With Batch > 1 a slot takes up
to Batch waiting frames as one request: such a slot holds one request per batch size (powers of two
up to Batch, each size a separately compiled static shape; a dynamic batch measured ~8% slower on
BlazeFace). Nothing waits for a batch to fill: at light load every frame runs alone, as soon as it
arrives; batches form only while all slots are busy.

Outputs are decoded inside the callback, before the request is reused, and decoders always copy
out of the tensors. The fitted u8 frame is copied as is into the request's u8 input tensor: the
graph converts it to the model's element type on the inference streams, which measured 0.84x ->
0.90x of benchmark_app's throughput on BlazeFace against converting while copying on the host (and
no worse for one frame at LATENCY). For u8-input models the copy also flips BGR to RGB (see
loader.flips_on_host).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import weakref
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import cv2
import numpy as np
import openvino as ov
from numpy.typing import NDArray

from service.vision.decoders import Decoder
from service.vision.detection import Detections
from service.vision.errors import EngineClosedError
from service.vision.framing import Framing, Image, letterbox, stretch
from service.vision.specs import ModelSpec

log = logging.getLogger(__name__)

# Called with the detections in source pixels, or with the exception that stopped the inference.
Completion = Callable[[Detections | BaseException], None]


@dataclass(frozen=True, slots=True)
class Variant:
    """The model compiled for one static batch size, with the decoder of its outputs."""

    compiled: ov.CompiledModel
    decoder: Decoder
    host_rgb: bool = False  # the input tensor takes RGB: the host flips BGR while copying in


@dataclass(frozen=True, slots=True)
class RunnerParts:
    """What a Runner is built from: variants by batch size (always 1; more when Batch > 1)."""

    spec: ModelSpec
    variants: Mapping[int, Variant]
    width: int
    height: int
    requests: int


def _ignore(_: object) -> None:
    """The completion callback of a closed runner's requests."""


# How long close() waits for OpenVINO to let go of the old completion callbacks (microseconds, normally).
_CALLBACK_RELEASE_S = 5.0


@dataclass(slots=True)  # not frozen: a frozen dataclass costs ~0.4 us more to build, once per frame
class _Job:
    """One frame: fitted to the model input, how to map back, and whom to tell."""

    fitted: Image
    framing: Framing
    done: Completion


class _SlotDone:
    """The completion callback of every async request of one runner: runner._on_done(slot).

    OpenVINO drops its copy of a callback on the stream thread that ran it, some time after
    request.wait() has returned. Were that the last reference to the runner, the runner, its
    requests and the compiled model would be freed on that stream thread, which OpenVINO then
    joins from itself (std::terminate, "Resource deadlock avoided") or, when the main thread
    meanwhile frees the Core, joins from the main thread while the stream thread waits for the GIL
    (a hang). So this is the one object the requests hold (the userdata is the slot's index), and
    Runner.close() waits until OpenVINO has released it.
    """

    __slots__ = ("__weakref__", "runner")

    def __init__(self, runner: Runner) -> None:
        self.runner = runner

    def __call__(self, index: int) -> None:
        runner = self.runner
        runner._on_done(runner._slots[index])


class _Slot:
    """One request in flight at a time, picked by how many frames it carries."""

    def __init__(self, variants: Mapping[int, Variant], index: int, on_done: _SlotDone) -> None:
        self.requests = {size: v.compiled.create_infer_request() for size, v in variants.items()}
        self.inputs = {size: r.get_input_tensor().data for size, r in self.requests.items()}
        self.jobs: list[_Job] = []
        for request in self.requests.values():
            request.set_callback(on_done, index)


class Runner:
    """Runs one compiled model; thread-safe."""

    def __init__(self, parts: RunnerParts) -> None:
        single = parts.variants[1]
        self._variants = dict(parts.variants)
        self._sizes = sorted(self._variants, reverse=True)  # largest batch first
        self._decoder = single.decoder
        self._host_rgb = single.host_rgb
        self._size = (parts.width, parts.height)
        self._fit = stretch if parts.spec.Resize != "letterbox" else letterbox
        self._outputs = range(len(single.compiled.outputs))
        self._idle: queue.SimpleQueue[ov.InferRequest] = queue.SimpleQueue()
        for _ in range(parts.requests):
            self._idle.put(single.compiled.create_infer_request())
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # the waiting queue shrank, or a frame finished
        self._waiting: deque[_Job] = deque()
        self._unfinished = 0  # submitted jobs whose `done` has not returned yet
        self._requests_by_batch: Counter[int] = Counter()
        self._closed = False
        self._waiting_max = parts.requests * self._sizes[0]
        self._slot_done: _SlotDone | None = _SlotDone(self)
        self._slots = [_Slot(self._variants, i, self._slot_done) for i in range(parts.requests)]
        self._idle_slots = list(self._slots)

    @property
    def requests_by_batch(self) -> dict[int, int]:
        """Async requests started so far, by how many frames each carried."""
        with self._lock:
            return dict(self._requests_by_batch)

    @property
    def input_size(self) -> tuple[int, int]:
        """(width, height) fed to the model."""
        return self._size

    def infer(self, image: Image) -> Detections:
        """Detections in source pixels (blocking)."""
        fitted, framing = self._fit(image, *self._size)
        request = self._idle.get()
        try:
            self._fill(request.get_input_tensor().data[0], fitted)
            # share_outputs: views of the request's own output tensors, in output order; no copy
            outputs = request.infer(share_outputs=True).to_tuple()
            found = self._decoder.decode(outputs, self._size)
        finally:
            self._idle.put(request)
        return framing.to_source(found)

    def infer_batch(self, batch: NDArray[np.uint8]) -> Detections:
        """Per-item decoders only: one row per [N,H,W,3] batch item, in model-input pixels."""
        request = self._idle.get()
        try:
            if self._host_rgb:
                batch = np.ascontiguousarray(batch[..., ::-1])
            request.infer({0: batch}, share_inputs=True, share_outputs=True)  # u8, as the graph takes
            return self._decoder.decode(self._output_views(request), self._size)
        finally:
            self._idle.put(request)

    def submit(self, image: Image, done: Completion) -> None:
        """Start inference; `done` runs on an OpenVINO thread. Blocks while the waiting queue is full."""
        job = _Job(*self._fit(image, *self._size), done)
        with self._lock:
            if self._closed:
                raise EngineClosedError("this model's runner is closed")
            while len(self._waiting) >= self._waiting_max:
                self._changed.wait()
            self._waiting.append(job)
            self._unfinished += 1
            if not self._idle_slots:
                return  # a finishing slot takes it
            slot = self._idle_slots.pop()
            jobs = self._take()
        self._start(slot, jobs)

    def wait_all(self) -> None:
        """Block until every submitted inference has completed and its `done` has returned."""
        with self._lock:
            while self._unfinished:
                self._changed.wait()

    def close(self) -> None:
        """Wait for what is in flight, then let the compiled model go; submit() refuses afterwards.

        Each async request's completion callback holds this runner, a cycle through OpenVINO
        objects that Python's collector cannot see: without breaking it, every closed engine kept
        its compiled models (~50 MB for the bundled set) until the process ended. The last
        reference must not drop on a callback thread (see _SlotDone), hence the wait() on every
        request first, and then the wait for OpenVINO to release the old callback, so that the
        caller's reference is the last. Sync requests have no callback.
        """
        with self._lock:
            self._closed = True
        self.wait_all()
        for slot in self._slots:
            for request in slot.requests.values():
                request.wait()  # returns once the completion callback itself has returned
                request.set_callback(_ignore, None)
        with self._lock:
            self._slots.clear()
            self._idle_slots.clear()
            slot_done, self._slot_done = self._slot_done, None
        if slot_done is None:
            return  # closed before
        released = weakref.ref(slot_done)
        del slot_done
        deadline = time.monotonic() + _CALLBACK_RELEASE_S
        while released() is not None:  # a stream thread still holds its copy of the callback
            if time.monotonic() > deadline:
                log.warning("OpenVINO still holds a completion callback of a closed model")
                break
            time.sleep(0.0005)

    def _take(self) -> list[_Job]:
        """The waiting frames the next request carries (call with the lock held, queue not empty)."""
        waiting = len(self._waiting)
        size = next(s for s in self._sizes if s <= waiting)
        self._requests_by_batch[size] += 1
        self._changed.notify_all()
        return [self._waiting.popleft() for _ in range(size)]

    def _start(self, slot: _Slot, jobs: list[_Job]) -> None:
        """Fill the slot's request and start it; never raises. If that fails, those frames get the
        error, and the slot goes on with what waits or back to the idle set."""
        while jobs:
            try:
                size = len(jobs)
                data = slot.inputs[size]
                for index, job in enumerate(jobs):
                    self._fill(data[index], job.fitted)
                slot.jobs = jobs
                slot.requests[size].start_async()
                return
            except Exception as exc:  # edge: the error travels to each frame's caller
                log.warning("could not start inference of %d frame(s): %s", len(jobs), exc)
                failed = jobs
                with self._lock:
                    jobs = self._take() if self._waiting else []
                    if not jobs:
                        self._idle_slots.append(slot)
                self._deliver(failed, [exc] * len(failed))

    def _on_done(self, slot: _Slot) -> None:
        jobs = slot.jobs
        request = slot.requests[len(jobs)]
        results = self._decode_jobs(jobs, request)
        with self._lock:
            following = self._take() if self._waiting else None
            if following is None:
                self._idle_slots.append(slot)
        if following is not None:
            self._start(slot, following)  # restarting from its own callback: the request is idle
        self._deliver(jobs, results)

    def _deliver(self, jobs: list[_Job], results: list[Detections | BaseException]) -> None:
        """Hand each frame its result; a failing `done` is logged and does not starve the others."""
        try:
            for job, result in zip(jobs, results, strict=True):
                try:
                    job.done(result)
                except Exception:  # edge: a caller's bug must not stall the model
                    log.exception("inference completion callback failed")
        finally:
            with self._lock:
                self._unfinished -= len(jobs)
                self._changed.notify_all()

    def _decode_jobs(self, jobs: list[_Job], request: ov.InferRequest) -> list[Detections | BaseException]:
        outputs = self._output_views(request)
        decoder = self._variants[len(jobs)].decoder
        results: list[Detections | BaseException] = []
        for index, job in enumerate(jobs):
            try:
                item = outputs if len(jobs) == 1 else [o[index : index + 1] for o in outputs]
                results.append(job.framing.to_source(decoder.decode(item, self._size)))
            except Exception as exc:  # edge: the error travels to the caller's future
                results.append(exc)
        return results

    def _fill(self, target: NDArray[np.uint8], image: Image) -> None:
        """Copy a fitted BGR frame into an input tensor view, flipped to RGB when the host does that."""
        if self._host_rgb and image.strides[1:] == (3, 1):  # packed pixels: what cv2 takes
            cv2.cvtColor(image, cv2.COLOR_BGR2RGB, dst=target)
        elif self._host_rgb:
            target[...] = image[..., ::-1]
        else:
            target[...] = image

    def _output_views(self, request: ov.InferRequest) -> list[NDArray[np.float32]]:
        return [request.get_output_tensor(i).data for i in self._outputs]
