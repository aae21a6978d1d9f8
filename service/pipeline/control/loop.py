"""Control loop: the one thread that owns the rule engine.

Analysed frames (from the workers) and sensor readings (from the bus thread) arrive on one queue
and are handled in arrival order: sighting stage -> rules -> alert book -> snapshot -> outbox.
Sensor readings are never dropped here (the queue is unbounded; frames are bounded upstream by
the latest-frame slots, so only sensor traffic can grow it). Every TICK_S the engine is ticked
(fusion windows, quiet periods). This thread is an edge: an unexpected error in one item is logged
with the camera/device and counted, and the loop carries on.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from service.metrics import Children, Metrics
from service.pipeline.actions.outbox import Outbox
from service.pipeline.actions.plan import plan_actions
from service.pipeline.analysis.annotate import annotate, encode_jpeg
from service.pipeline.analysis.sighting import AnalysedFrame, FrameView, Sighter, StillFrame
from service.pipeline.cameras.board import CameraBoard
from service.pipeline.ingest.sensor_reading import SensorReading
from service.pipeline.rules.engine import RuleEngine, RuleOutput
from service.pipeline.settings import PipelineSettings
from service.pipeline.state.alert_book import AlertBook
from service.pipeline.state.records import ActionOutcome, AlertChange, StoredAlert
from service.pipeline.state.sensor_table import SensorTable
from service.pipeline.state.snapshot_store import Snapshot, SnapshotStore

LOG = logging.getLogger(__name__)
TICK_S = 0.1
GAUGE_EVERY_S = 1.0
ControlItem = AnalysedFrame | SensorReading | StillFrame


@dataclass(frozen=True, slots=True)
class ControlDeps:
    """The parts the control loop drives."""

    settings: PipelineSettings
    sensors: SensorTable
    alerts: AlertBook
    outbox: Outbox
    snapshots: SnapshotStore
    board: CameraBoard
    metrics: Metrics
    on_enqueued: Callable[[str], None]  # wake the delivery worker of an action kind
    request_frame: Callable[[str], None]  # a fusion rule wants a frame of this camera now
    clock: Callable[[], float] = time.time


class ControlLoop:
    """Owns RuleEngine and Sighter; submit() is thread-safe, process()/tick() run on its thread."""

    def __init__(self, deps: ControlDeps) -> None:
        self._deps = deps
        self._rules = RuleEngine(deps.settings.Rules, deps.sensors)
        self._resume(deps.alerts.resumable())
        self._rule_settings = {rule.Name: rule for rule in deps.settings.Rules}
        self._sighter = Sighter(deps.settings)
        self._queue: queue.Queue[ControlItem | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="pipeline-control", daemon=True)
        self._last_gauges = 0.0
        self._listeners: list[Callable[[FrameView], None]] = []
        self._latency = Children(deps.metrics.frame_to_result_seconds)
        self._stage = Children(deps.metrics.frame_stage_seconds)
        self._inference = Children(deps.metrics.inference_seconds)

    def add_listener(self, listener: Callable[[FrameView], None]) -> None:
        """Call `listener` with every analysed frame's view (benchmarks, tests); before start()."""
        self._listeners.append(listener)

    def submit(self, item: ControlItem) -> None:
        """Queue an analysed frame or a sensor reading."""
        self._queue.put(item)

    def backlog(self) -> int:
        """Items waiting."""
        return self._queue.qsize()

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Handle what is queued, then stop."""
        self._queue.put(None)
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def process(self, item: ControlItem) -> None:
        """Handle one item (the thread's body; tests call it directly)."""
        if isinstance(item, SensorReading):
            update = self._deps.sensors.apply(item)
            if update.applied:
                self._handle(self._rules.on_sensor(update), None)
            return
        if isinstance(item, StillFrame):
            self._rules.on_still(item.camera, item.seen_s)
            return
        view = self._sighter.view(item)
        deps = self._deps
        deps.board.analysed(view)
        self._latency(view.camera).observe(view.latency_s)
        for stage, seconds in view.stages:
            self._stage(view.camera, stage).observe(seconds)
        for model, seconds in item.inference_s:
            self._inference(model).observe(seconds)
        if item.image is not None and deps.snapshots.due(view.camera, view.analysed_s):
            image = annotate(item.image, view.sightings, item.scale, item.faces)
            jpeg = encode_jpeg(image, deps.settings.Snapshots.Quality)
            deps.snapshots.set_latest(view.camera, Snapshot(jpeg, view.analysed_s))
        self._handle(self._rules.on_frame(view), item)
        self._stage(view.camera, "rules").observe(max(0.0, self._deps.clock() - view.analysed_s))
        for listener in self._listeners:
            listener(view)

    def tick(self, now_s: float) -> None:
        """Advance time: close fusion windows, end quiet alerts; every GAUGE_EVERY_S refresh gauges
        and write changed sensor states."""
        self._handle(self._rules.tick(now_s), None)
        if now_s - self._last_gauges >= GAUGE_EVERY_S:
            self._last_gauges = now_s
            self._deps.sensors.flush()
            for state, count in self._deps.outbox.counts().items():
                self._deps.metrics.outbox_size.labels(state).set(count)

    def _run(self) -> None:
        last_tick = 0.0
        while True:
            try:
                item = self._queue.get(timeout=TICK_S)
            except queue.Empty:
                item = None
            else:
                if item is None:
                    return
            try:
                if item is not None:
                    self.process(item)
                now = self._deps.clock()
                if now - last_tick >= TICK_S:
                    last_tick = now
                    self.tick(now)
            except Exception:  # the loop's edge: one bad item must not stop alerting
                LOG.exception("control loop failed on %s", _describe(item))
                self._deps.metrics.invalid_messages_total.labels("processing").inc()

    def _handle(self, out: RuleOutput, frame: AnalysedFrame | None) -> None:
        for rule, reason in out.suppressed:
            self._deps.metrics.alerts_total.labels(rule, f"suppressed_{reason}").inc()
        for camera in out.frame_requests:
            self._deps.request_frame(camera)
        for change in out.changes:
            self._apply(change, frame)

    def _apply(self, change: AlertChange, frame: AnalysedFrame | None) -> None:
        deps = self._deps
        rule = self._rule_settings[change.alert.rule]
        snapshot = ""
        if rule.Actions.Snapshot and change.transition != "end":
            snapshot = self._save_snapshot(change, frame)
            change = replace(change, alert=replace(change.alert, snapshot=snapshot))
        alert = deps.alerts.apply(change)
        deps.metrics.alerts_total.labels(alert.rule, change.transition).inc()
        if change.transition != "update":
            LOG.info("alert %s %s: %s", change.transition, alert.alert_id, alert.summary)
        now = deps.clock()
        for action in plan_actions(change, rule, deps.settings.ResultSource, snapshot):
            if deps.outbox.enqueue(action.key, action.kind, action.alert_id, action.payload):
                deps.alerts.record_action(
                    alert.alert_id, ActionOutcome(action.key, action.kind, "queued", 0, None, "", now)
                )
                deps.on_enqueued(action.kind)

    def _resume(self, stored: list[StoredAlert]) -> None:
        """Hand the alerts from before a restart to the rule engine (active ones to continue, ended ones
        for their cooldown); active ones whose rule is gone or disabled end here, without actions
        (there is no rule to plan them from)."""
        orphans = self._rules.resume(stored, self._deps.alerts.recent())
        orphaned = {item.alert.alert_id for item in orphans}
        for item in stored:
            if item.alert.alert_id not in orphaned:
                LOG.info("alert %s resumed: %s", item.alert.alert_id, item.alert.summary)
        now = self._deps.clock()
        for item in orphans:
            ended = replace(item.alert, state="ended", ended_s=now, updated_s=now)
            self._deps.alerts.apply(AlertChange("end", ended, None, item.next_sequence))
            LOG.info("alert %s ended at start: rule %s is no longer enabled", ended.alert_id, ended.rule)

    def _save_snapshot(self, change: AlertChange, frame: AnalysedFrame | None) -> str:
        deps = self._deps
        camera = change.alert.camera
        view = change.frame
        if frame is not None and frame.image is not None and view is not None and frame.camera == camera:
            image = annotate(frame.image, view.sightings, frame.scale, frame.faces)
            jpeg = encode_jpeg(image, deps.settings.Snapshots.Quality)
        else:
            latest = deps.snapshots.latest(camera) if camera else None
            if latest is None:
                return ""
            jpeg = latest.jpeg
        return deps.snapshots.save(change.alert.alert_id, jpeg)


def _describe(item: ControlItem | None) -> str:
    if isinstance(item, SensorReading):
        return f"reading {item.device}/{item.resource}"
    if isinstance(item, AnalysedFrame):
        return f"frame of {item.camera} (event {item.event_id})"
    if isinstance(item, StillFrame):
        return f"still frame of {item.camera}"
    return "tick"
