"""Frame workers: take the newest frame of a ready camera, analyse it, hand the result on.

Several workers run at once (PipelineSettings.Workers), so several cameras have inferences in
flight together; one camera is never analysed twice at once. This loop is an edge: a frame that
fails is logged with its camera and event id, counted, and the worker takes the next one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

from service.metrics import Children, Metrics
from service.pipeline.analysis.analyser import AnalysisState, FrameAnalyser
from service.pipeline.analysis.sighting import AnalysedFrame, StillFrame
from service.pipeline.errors import FrameDecodeError
from service.pipeline.ingest.frame import DropReason, Frame
from service.pipeline.ingest.frame_slots import FrameSlot, LatestFrameSlots

LOG = logging.getLogger(__name__)
TAKE_TIMEOUT_S = 0.5


class AnalysedCamera(Protocol):
    """What a worker needs of a camera's state: its slot and its analysis state."""

    @property
    def slot(self) -> FrameSlot: ...

    @property
    def analysis(self) -> AnalysisState: ...


Camera = TypeVar("Camera", bound=AnalysedCamera)


class FrameWorkers(Generic[Camera]):
    """A pool of threads draining the latest-frame slots."""

    def __init__(
        self,
        slots: LatestFrameSlots[Camera],
        analyser: FrameAnalyser,
        deliver: Callable[[Camera, AnalysedFrame | StillFrame], None],
        metrics: Metrics,
        count: int,
    ) -> None:
        self._slots = slots
        self._analyser = analyser
        self._deliver = deliver
        self._metrics = metrics
        self._dropped = Children(metrics.frames_dropped_total)
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, name=f"pipeline-worker-{i}", daemon=True) for i in range(count)
        ]

    def start(self) -> None:
        """Start every worker."""
        for thread in self._threads:
            thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Let each worker finish its frame, then stop (the slots must be closed by the caller)."""
        self._stop.set()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout_s)

    def run_one(self, camera: Camera, frame: Frame) -> AnalysedFrame | DropReason | None:
        """Analyse one taken frame, count the outcome, hand it on, then release the camera (None =
        it failed). Released last: the camera's next frame cannot overtake this one's result."""
        try:
            return self._analyse(camera, frame)
        finally:
            self._slots.done(camera)

    def _analyse(self, camera: Camera, frame: Frame) -> AnalysedFrame | DropReason | None:
        try:
            result = self._analyser.analyse(camera.analysis, frame)
        except FrameDecodeError as exc:
            result = DropReason.DECODE
            self._metrics.decode_errors_total.labels("image").inc()
            LOG.warning("%s (event %s)", exc, frame.event_id)
        except Exception:  # the worker's edge: engine or bug; keep the other cameras going
            LOG.exception("analysing a frame of %s (event %s) failed", frame.camera, frame.event_id)
            self._metrics.frames_dropped_total.labels(frame.camera, "error").inc()
            return None
        if isinstance(result, DropReason):
            self._slots.count_drop(camera, result)
            self._dropped(frame.camera, result.value).inc()
            if result is DropReason.NO_MOTION:
                self._deliver(camera, StillFrame(frame.camera, frame.received_ns / 1e9))
        else:
            self._deliver(camera, result)
        return result

    def _run(self) -> None:
        while not self._stop.is_set():
            taken = self._slots.take(TAKE_TIMEOUT_S)
            if taken is not None:
                self.run_one(*taken)
