"""What counting sends on: analytics events, sensor readings for the rules, metrics, the state file.

Runs on the control thread. After each counted frame, counted() takes the camera's counts:
- every value that differs from the last one the rules saw becomes a SensorReading of device
  `<camera>.<name>` (Int64 or Float64) on the control queue, so sensor rules test occupancy, counts
  and rates like any sensor (the reading chain applies it to the sensor table);
- a zone or line whose values changed, or that had crossings, entries or exits, is published as an
  analytics event through the outbox (kind "analytics"), at once unless its last event is younger
  than Counting.MinPublishGapS: then tick() sends one event with everything since, when the gap has
  passed. Every Counting.PublishIntervalS a zone or line is published even when nothing changed.
refresh() (about once a second) recomputes every counter's counts (peaks, rates and dwell windows
move with time) and writes the counters that changed to the state file; flush() writes them at stop.

While the outbox holds more than a quarter of Outbox.MaxPending analytics rows (the bus is down),
new events wait here, merged per zone or line (the latest values, the events in order; at most
MAX_OBJECTS_PER_EVENT, the oldest dropped and logged), so counting never pushes alert actions out of
the outbox; unchanged periodic events are skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from service.metrics import Children, Metrics
from service.pipeline.actions.outbox import Outbox
from service.pipeline.actions.payloads import CountNumber, CountObject, CountPayload, write_payload
from service.pipeline.actions.plan import KIND_ANALYTICS
from service.pipeline.analytics import CameraCounts, CountingEvents
from service.pipeline.analytics.readings import CountedValues, EventObject, count_values, event_objects
from service.pipeline.cameras.camera_state import CameraState, CameraTable
from service.pipeline.errors import StateStoreError
from service.pipeline.identity import analytics_device
from service.pipeline.ingest.sensor_reading import SensorReading
from service.pipeline.settings import PipelineSettings
from service.pipeline.state.state_store import StateStore

LOG = logging.getLogger(__name__)
MAX_OBJECTS_PER_EVENT = 1000


@dataclass(slots=True)
class _Device:
    """One zone or line: what went out last, what waits."""

    source: str
    published: CountedValues | None = None  # the values of its last event
    published_s: float | None = None
    seen: dict[str, int | float] = field(default_factory=dict)  # the values the rules last saw
    waiting: CountedValues | None = None  # values to publish when the gap has passed
    objects: list[tuple[str, EventObject]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CountOutputDeps:
    """What the count output writes to."""

    settings: PipelineSettings
    cameras: CameraTable
    outbox: Outbox
    state: StateStore
    metrics: Metrics
    submit: Callable[[SensorReading], None]  # onto the control queue
    on_enqueued: Callable[[str], None]  # wake the analytics delivery


class CountOutput:
    """Publishes, feeds back and stores every counting camera's counts (control thread only)."""

    def __init__(self, deps: CountOutputDeps) -> None:
        self._deps = deps
        counting = deps.settings.Counting
        self._gap_s = counting.MinPublishGapS
        self._interval_s = counting.PublishIntervalS
        self._max_backlog = max(1, deps.settings.Outbox.MaxPending // 4)
        self._devices: dict[str, _Device] = {}
        self._dirty: set[str] = set()
        self._occupancy = Children(deps.metrics.zone_occupancy)
        self._crossings = Children(deps.metrics.line_crossings_total)
        self._entries = Children(deps.metrics.zone_entries_total)
        self.counting_cameras = tuple(
            name
            for name, device in deps.settings.Devices.items()
            if counting.Enabled and device.Role == "camera" and (device.Lines or device.Zones)
        )

    def start(self, now_s: float) -> None:
        """Create the counting cameras (resuming stored counters) and take their counts."""
        for name in self.counting_cameras:
            self._take(self._deps.cameras.state(name), CountingEvents(), now_s)

    def counted(self, camera: CameraState, events: CountingEvents, now_s: float) -> None:
        """The camera's counter took a frame: feed back, publish what changed, count the events."""
        for crossing in events.crossings:
            self._crossings(camera.name, crossing.line, crossing.direction).inc()
        for entry in events.entries:
            self._entries(camera.name, entry.zone).inc()
        self._dirty.add(camera.name)
        self._take(camera, events, now_s)

    def tick(self, now_s: float) -> None:
        """Publish the waiting zones and lines whose gap has passed."""
        for device, state in self._devices.items():
            if state.waiting is not None and self._gap_passed(state, now_s):
                self._publish(device, state, state.waiting, now_s)

    def refresh(self, now_s: float) -> None:
        """Recompute every counter's counts (windows move), publish the periodic events, store the
        counters that changed."""
        for camera in self._deps.cameras.cameras():
            if camera.counter is not None:
                self._take(camera, CountingEvents(), now_s)
        for device, state in self._devices.items():
            due = state.published_s is None or now_s - state.published_s >= self._interval_s
            if due and state.waiting is None and state.published is not None and self._backlog_ok():
                self._publish(device, state, state.published, now_s)
        self.flush()

    def flush(self) -> None:
        """Write the counters that changed since the last write to the state file."""
        if not self._dirty:
            return
        names, self._dirty = self._dirty, set()
        states = []
        for name in sorted(names):
            camera = self._deps.cameras.get(name)
            if camera is not None and camera.counter is not None:
                states.append((name, camera.counter.to_state()))
        try:
            self._deps.state.save_counters(states)
        except StateStoreError as exc:
            LOG.warning("%s (kept in memory, written with the next change)", exc)
            self._dirty |= names

    def _take(self, camera: CameraState, events: CountingEvents, now_s: float) -> None:
        counter = camera.counter
        if counter is None:
            return
        counts = counter.counts(now_s)
        self._deps.cameras.set_counts(camera, counts)
        self._gauge(camera.name, counts)
        objects = event_objects(events)
        for name, values in count_values(counts).items():
            device = analytics_device(camera.name, name)
            state = self._devices.get(device)
            if state is None:
                state = self._devices[device] = _Device(values.source)
            self._feed_back(device, state, values, now_s)
            new_objects = objects.get(name, [])
            if new_objects:
                state.objects.extend(new_objects)
                self._trim(device, state)
            published = state.published
            changed = published is None or _pairs(values) != _pairs(published) or bool(state.objects)
            if not changed:
                state.waiting = None
            elif self._gap_passed(state, now_s):
                self._publish(device, state, values, now_s)
            else:
                state.waiting = values

    def _feed_back(self, device: str, state: _Device, values: CountedValues, now_s: float) -> None:
        origin_ns = round(now_s * 1e9)
        for value in values.values:
            if state.seen.get(value.resource) != value.value:
                state.seen[value.resource] = value.value
                self._deps.submit(
                    SensorReading(device, value.resource, value.value_type, value.value, origin_ns, now_s)
                )

    def _publish(self, device: str, state: _Device, values: CountedValues, now_s: float) -> None:
        if not self._backlog_ok():
            state.waiting = values  # merged with what follows; sent when the outbox drains
            return
        origin_ns = round(now_s * 1e9)
        payload = CountPayload(
            device=device,
            source=values.source,
            origin=origin_ns,
            numbers=tuple(
                CountNumber(resource=v.resource, valueType=v.value_type, value=v.value) for v in values.values
            ),
            objects=tuple(CountObject.model_validate({"resource": r, "value": o}) for r, o in state.objects),
        )
        key = f"analytics/{device}/{origin_ns}"
        if self._deps.outbox.enqueue(key, KIND_ANALYTICS, "", write_payload(payload)):
            self._deps.on_enqueued(KIND_ANALYTICS)
        state.published, state.published_s = values, now_s
        state.waiting, state.objects = None, []

    def _gap_passed(self, state: _Device, now_s: float) -> bool:
        return state.published_s is None or now_s - state.published_s >= self._gap_s

    def _backlog_ok(self) -> bool:
        return self._deps.outbox.pending_count(KIND_ANALYTICS) < self._max_backlog

    def _trim(self, device: str, state: _Device) -> None:
        excess = len(state.objects) - MAX_OBJECTS_PER_EVENT
        if excess > 0:
            del state.objects[:excess]
            LOG.warning(
                "analytics %s: %d crossing/entry/exit reading(s) dropped while waiting", device, excess
            )

    def _gauge(self, camera: str, counts: CameraCounts) -> None:
        for zone in counts.zones:
            self._occupancy(camera, zone.zone).set(zone.occupancy)


def _pairs(values: CountedValues) -> tuple[tuple[str, int | float], ...]:
    return tuple((v.resource, v.value) for v in values.values)
