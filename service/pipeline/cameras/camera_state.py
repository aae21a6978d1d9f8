"""One state object per camera, created on first sight and found with one lookup per frame.

A CameraState holds everything the pipeline keeps of one camera: its latest-frame slot, what the
analyser keeps (motion gate, decode factor), its tracker and zones, its latest annotated snapshot,
its frame counters, its line and zone counter (analytics) and its rule lanes. Who touches what: the
slot under the slot table's lock (bus thread and workers), the analysis state by the one worker
holding the camera, the tracker, the line and zone counter and the lanes by the control thread
only; frame counters, the latest counts and the snapshot under the table's lock (REST reads).

The CameraTable is the frame intake of ingest (put_frame) and the lane source of the rule engine.
It holds at most MAX_CAMERAS cameras: a frame of one more is dropped and counted, not stored.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from service.metrics import Children, Metrics
from service.pipeline.analysis.analyser import AnalysisState
from service.pipeline.analysis.sighting import FrameView
from service.pipeline.analysis.tracking import Tracker
from service.pipeline.analysis.zones import Polygon
from service.pipeline.analytics import CameraCounter, CameraCounts, CounterSetup, CounterState
from service.pipeline.cameras.status import CameraCounters, CameraStatus, fps
from service.pipeline.ingest.frame import DropReason, Frame
from service.pipeline.ingest.frame_slots import FrameSlot, LatestFrameSlots
from service.pipeline.rules.engine import Lanes
from service.pipeline.settings import PipelineSettings
from service.pipeline.state.snapshot_store import Snapshot
from service.vision.motion import MotionGate

LOG = logging.getLogger(__name__)
MAX_CAMERAS = 256


@dataclass(slots=True, eq=False)
class CameraState:
    """Everything kept of one camera (see the module docstring for who may touch which part)."""

    name: str
    analysis: AnalysisState
    tracker: Tracker
    zones: Mapping[str, Polygon]
    lanes: Lanes
    slot: FrameSlot = field(default_factory=FrameSlot)
    counters: CameraCounters = field(default_factory=CameraCounters)
    latest: Snapshot | None = None
    counter: CameraCounter | None = None  # with Lines or Zones, unless Counting is off
    counts: CameraCounts | None = None  # the counter's latest counts, for REST

    def snapshot_due(self, now_s: float, every_s: float) -> bool:
        """Whether the latest snapshot is older than every_s (or there is none)."""
        latest = self.latest
        return latest is None or now_s - latest.taken_s >= every_s


class CameraTable:
    """Thread-safe table of camera states by name."""

    def __init__(
        self,
        settings: PipelineSettings,
        new_analysis: Callable[[str], AnalysisState],
        metrics: Metrics,
        max_cameras: int = MAX_CAMERAS,
        stored_counters: Mapping[str, CounterState] | None = None,
    ) -> None:
        self._settings = settings
        self._stored_counters = dict(stored_counters or {})
        self._new_analysis = new_analysis
        self._metrics = metrics
        self._max_cameras = max_cameras
        self._cameras: dict[str, CameraState] = {}
        self._sensor_lanes = Lanes("")  # sensor-only rules have no camera
        self._lock = threading.Lock()
        self.slots: LatestFrameSlots[CameraState] = LatestFrameSlots()
        self._received = Children(metrics.frames_received_total)
        self._dropped = Children(metrics.frames_dropped_total)

    def get(self, name: str) -> CameraState | None:
        """A camera seen before, or None."""
        with self._lock:
            return self._cameras.get(name)

    def state(self, name: str) -> CameraState:
        """The camera's state, created on first sight; OverflowError beyond max_cameras."""
        with self._lock:
            camera = self._cameras.get(name)
            if camera is not None:
                return camera
            if len(self._cameras) >= self._max_cameras:
                raise OverflowError(f"more than {self._max_cameras} cameras: {name}")
            device = self._settings.Devices.get(name)
            camera = CameraState(
                name,
                self._new_analysis(name),
                Tracker(self._settings.Tracking),
                device.Zones if device is not None else {},
                Lanes(name),
            )
            camera.counter = self._new_counter(name)
            self._cameras[name] = camera
            return camera

    def set_geometry(
        self, settings: PipelineSettings, name: str, new_gate: Callable[[str], MotionGate] | None
    ) -> None:
        """A camera's zones, lines or masks were edited live (control thread): its zones and counter
        from now on (counts of kept zones and lines carry on), a gate with its new masks."""
        with self._lock:
            self._settings = settings
            camera = self._cameras.get(name)
        if camera is None:
            return
        device = settings.Devices.get(name)
        camera.zones = device.Zones if device is not None else {}
        old, new = camera.counter, self._new_counter(name)
        camera.counter = old.reconfigured(new.setup) if old is not None and new is not None else new
        if new_gate is not None:
            camera.analysis.gate = new_gate(name)

    def _new_counter(self, name: str) -> CameraCounter | None:
        """The camera's line and zone counter, resumed from the state file when it was stored."""
        settings, device = self._settings, self._settings.Devices.get(name)
        if not settings.Counting.Enabled or device is None or not (device.Lines or device.Zones):
            return None
        setup = CounterSetup(device.Lines, tuple(device.Zones), settings.Counting, settings.Tracking)
        stored = self._stored_counters.pop(name, None)
        return CameraCounter(setup) if stored is None else CameraCounter.from_state(setup, stored)

    def set_counts(self, camera: CameraState, counts: CameraCounts) -> None:
        """Replace the camera's latest counts (control thread)."""
        with self._lock:
            camera.counts = counts

    def counts(self) -> dict[str, CameraCounts]:
        """The latest counts of every counting camera, by name."""
        with self._lock:
            return {name: c.counts for name, c in sorted(self._cameras.items()) if c.counts is not None}

    def put_frame(self, frame: Frame) -> None:
        """A frame came in (FrameIntake of ingest): count it and put it in its camera's slot."""
        try:
            camera = self.state(frame.camera)
        except OverflowError as exc:  # counted without caching a child per unknown camera
            self._metrics.frames_received_total.labels(frame.camera).inc()
            self._metrics.frames_dropped_total.labels(frame.camera, DropReason.TOO_MANY_CAMERAS.value).inc()
            LOG.warning("%s", exc)
            return
        with self._lock:
            counters = camera.counters
            counters.received += 1
            counters.received_at.append(frame.received_ns / 1e9)
        self._received(frame.camera).inc()
        if self.slots.put(camera, frame) is not None:
            self._dropped(frame.camera, DropReason.REPLACED.value).inc()

    def fill_slot(self, frame: Frame) -> None:
        """Put a frame in its camera's slot without counting it as received (a fetched snapshot)."""
        try:
            camera = self.state(frame.camera)
        except OverflowError as exc:
            LOG.warning("%s", exc)
            return
        self.slots.put(camera, frame)

    def analysed(self, camera: CameraState, view: FrameView) -> None:
        """A frame of the camera went through the rules."""
        with self._lock:
            counters = camera.counters
            counters.analysed += 1
            counters.analysed_at.append(view.analysed_s)
            counters.last_latency_s = view.latency_s
            counters.sightings = view.sightings

    def set_latest(self, camera: CameraState, snapshot: Snapshot) -> None:
        """Replace the camera's latest annotated snapshot."""
        with self._lock:
            camera.latest = snapshot

    def lanes(self, camera: str) -> Lanes:
        """The camera's rule lanes (LaneSource of the rule engine; "" = sensor-only rules)."""
        return self._sensor_lanes if not camera else self.state(camera).lanes

    def all_lanes(self) -> Iterable[Lanes]:
        """Every camera's rule lanes, sensor-only rules' first."""
        with self._lock:
            cameras = list(self._cameras.values())
        return [self._sensor_lanes, *(camera.lanes for camera in cameras)]

    def cameras(self) -> list[CameraState]:
        """Every camera seen, by name."""
        with self._lock:
            return [self._cameras[name] for name in sorted(self._cameras)]

    def status(self, name: str, now_s: float) -> CameraStatus:
        """What REST shows of a camera (configured or seen)."""
        settings = self._settings
        device = settings.Devices.get(name)
        camera = self.get(name)
        drops = self.slots.drops(camera) if camera is not None else {}
        with self._lock:
            c = camera.counters if camera is not None else CameraCounters()
            has_snapshot = camera is not None and camera.latest is not None
            return CameraStatus(
                name,
                settings.role_of(name),
                settings.models_for(name),
                c.received,
                c.analysed,
                fps(c.received_at, now_s),
                fps(c.analysed_at, now_s),
                drops,
                c.received_at[-1] if c.received_at else None,
                c.analysed_at[-1] if c.analysed_at else None,
                None if c.last_latency_s is None else c.last_latency_s * 1000,
                c.sightings,
                tuple(device.Zones) if device is not None else (),
                has_snapshot,
            )
