"""Control loop: the one thread that owns the rule engine and runs the control chains.

Analysed frames (from the workers) and sensor readings (from the bus thread, and the counts of
counting cameras: control/count_output.py) arrive on one queue and are handled in arrival order,
each by its chain (control/stages.py). Sensor readings are never
dropped here (the queue is unbounded; frames are bounded upstream by the latest-frame slots, so only
sensor traffic can grow it). Every TICK_S the tick chain runs (fusion windows, quiet periods); every
GAUGE_EVERY_S changed sensor states and counters are written, counts recomputed and the outbox and
queue-depth gauges refreshed.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from service.metrics import Children, Metrics
from service.pipeline.actions.outbox import Outbox
from service.pipeline.analysis.analyser import FrameAnalyser
from service.pipeline.analysis.sighting import AnalysedFrame, FrameView, StillFrame
from service.pipeline.cameras.camera_state import CameraState, CameraTable
from service.pipeline.control.chain import Chain
from service.pipeline.control.context import CameraResult, ControlItem, context_for
from service.pipeline.control.count_output import CountOutput, CountOutputDeps
from service.pipeline.control.mode_output import ModeOutput
from service.pipeline.control.recent_inputs import RecentInputs
from service.pipeline.control.stages import (
    Count,
    Evaluate,
    KeepAnalysing,
    LatestSnapshot,
    Observe,
    QueueActions,
    RecordAlerts,
    RequestFrames,
    Track,
)
from service.pipeline.rules.engine import RuleEngine
from service.pipeline.rules.modes import ModeKeeper, StateFileModes
from service.pipeline.settings import PipelineSettings
from service.pipeline.state.alert_book import AlertBook
from service.pipeline.state.alert_clips import AlertClips
from service.pipeline.state.records import AlertChange
from service.pipeline.state.sensor_table import SensorTable
from service.pipeline.state.snapshot_store import SnapshotStore
from service.pipeline.state.state_store import StateStore

LOG = logging.getLogger(__name__)
TICK_S = 0.1
GAUGE_EVERY_S = 1.0


@dataclass(frozen=True, slots=True)
class _SettingsEdit:
    """A live edit (rules, cameras' zones, lines and masks), applied on the control thread."""

    settings: PipelineSettings
    rules_changed: bool
    cameras: tuple[str, ...]  # cameras whose zones, lines or masks changed
    done: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True, slots=True)
class ControlDeps:
    """The parts the control loop drives."""

    settings: PipelineSettings
    sensors: SensorTable
    alerts: AlertBook
    outbox: Outbox
    snapshots: SnapshotStore
    cameras: CameraTable
    state: StateStore  # counters are written here
    metrics: Metrics
    on_enqueued: Callable[[str], None]  # wake the delivery worker of an action kind
    request_frame: Callable[[str], None]  # a fusion rule wants a frame of this camera now
    clock: Callable[[], float] = time.time
    clips: AlertClips | None = None  # alert clips (None: no clips, as in unit tests)
    analyser: FrameAnalyser | None = None  # for live edits of the cameras' masks


class ControlLoop:
    """Owns the RuleEngine; submit() is thread-safe, process()/tick() run on its thread."""

    def __init__(self, deps: ControlDeps) -> None:
        self._deps = deps
        self.modes = ModeKeeper(deps.settings.Modes, StateFileModes(deps.state), deps.clock())
        self._rules = RuleEngine(deps.settings.Rules, deps.sensors, deps.cameras, self.modes)
        self._resume()
        evaluate = Evaluate(self._rules, deps.sensors)
        gate = KeepAnalysing(self._rules, deps.cameras)
        self._alerts_stage = alerts = RecordAlerts(
            deps.alerts, deps.snapshots, deps.cameras, deps.settings, deps.metrics, deps.clips
        )
        self._actions_stage = actions = QueueActions(
            deps.outbox, deps.alerts, deps.settings, deps.on_enqueued, deps.clock
        )
        requests = RequestFrames(deps.request_frame)
        self._observe = Observe(deps.metrics, deps.clock)
        self.recent = RecentInputs()  # what dry runs replay
        self._observe.listeners.append(self.recent.add)
        metrics = deps.metrics
        self._queue: queue.Queue[ControlItem | _SettingsEdit | None] = queue.Queue()
        self._mode_output = ModeOutput(self.modes, deps.outbox, metrics, deps.on_enqueued)
        self.counts = CountOutput(
            CountOutputDeps(
                deps.settings, deps.cameras, deps.outbox, deps.state, metrics, self.submit, deps.on_enqueued
            )
        )
        self.frame_chain = Chain(
            (
                Track(deps.cameras, metrics),
                Count(self.counts),
                LatestSnapshot(deps.cameras, deps.settings),
                evaluate,
                gate,
                alerts,
                actions,
                requests,
                self._observe,
            ),
            metrics,
        )
        self.still_chain = Chain((evaluate,), metrics)
        self.reading_chain = Chain((evaluate, gate, alerts, actions, requests), metrics)
        self.tick_chain = Chain((evaluate, gate, alerts, actions), metrics)
        self._thread = threading.Thread(target=self._run, name="pipeline-control", daemon=True)
        self._last_gauges = 0.0
        self._depth = Children(metrics.queue_depth)

    def add_listener(self, listener: Callable[[FrameView], None]) -> None:
        """Call `listener` with every analysed frame's view (benchmarks, tests); before start()."""
        self._observe.listeners.append(listener)

    def submit(self, item: ControlItem) -> None:
        """Queue a camera's result or a sensor reading."""
        self._queue.put(item)

    def submit_result(self, camera: CameraState, result: AnalysedFrame | StillFrame) -> None:
        """Queue a worker's result for a camera."""
        self._queue.put(CameraResult(camera, result))

    def backlog(self) -> int:
        """Items waiting."""
        return self._queue.qsize()

    def start(self) -> None:
        """Take the counting cameras' stored counts, then start the thread."""
        self.counts.start(self._deps.clock())
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Handle what is queued, write the counters, then stop."""
        self._queue.put(None)
        if self._thread.is_alive():
            self._thread.join(timeout_s)
        if not self._thread.is_alive():
            self.counts.flush()

    def process(self, item: ControlItem) -> bool:
        """Run the item's chain (the thread's body; tests call it directly); False if a stage failed."""
        ctx = context_for(item, self._deps.clock())
        if ctx.reading is not None:
            self.recent.add(ctx.reading)
        if ctx.frame is not None:
            return self.frame_chain.run(ctx)
        if ctx.still is not None:
            return self.still_chain.run(ctx)
        return self.reading_chain.run(ctx)

    def tick(self, now_s: float) -> None:
        """Advance time: close fusion windows, end quiet alerts; every GAUGE_EVERY_S refresh gauges
        and write changed sensor states."""
        self.tick_chain.run(context_for(None, now_s))
        self.counts.tick(now_s)
        self._mode_output.tick()
        if now_s - self._last_gauges >= GAUGE_EVERY_S:
            self._last_gauges = now_s
            self._refresh(now_s)

    def _refresh(self, now_s: float) -> None:
        deps = self._deps
        deps.sensors.flush()
        self.counts.refresh(now_s)
        for state, count in deps.outbox.counts().items():
            deps.metrics.outbox_size.labels(state).set(count)
        slots = deps.cameras.slots
        for camera in deps.cameras.cameras():
            self._depth(camera.name).set(int(slots.waiting(camera)))

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
                if isinstance(item, _SettingsEdit):
                    self._apply_settings(item)
                elif item is not None:
                    self.process(item)
                now = self._deps.clock()
                if now - last_tick >= TICK_S:
                    last_tick = now
                    self.tick(now)
            except Exception:  # the chains catch their stages' errors; this is the gauges' edge
                LOG.exception("control loop failed")
                self._deps.metrics.invalid_messages_total.labels("processing").inc()

    def apply_settings(
        self,
        settings: PipelineSettings,
        rules_changed: bool,
        cameras: Sequence[str] = (),
        timeout_s: float = 5.0,
    ) -> None:
        """Use these (validated) settings' rules and these cameras' zones, lines and masks from now
        on, applied on the control thread between two items, so no frame or reading sees half of
        the change; returns once applied (TimeoutError if the control thread did not get to it)."""
        edit = _SettingsEdit(settings, rules_changed, tuple(cameras))
        if not self._thread.is_alive():
            self._apply_settings(edit)
            return
        self._queue.put(edit)
        if not edit.done.wait(timeout_s):
            raise TimeoutError(f"the control thread did not apply the change within {timeout_s:g} s")

    def _apply_settings(self, edit: _SettingsEdit) -> None:
        settings, deps = edit.settings, self._deps
        if edit.rules_changed:
            ended = self._rules.replace_rules(settings.Rules, deps.clock())
            self._alerts_stage.set_rules(settings.Rules)
            self._actions_stage.set_rules(settings.Rules)
            for change in ended:
                deps.alerts.apply(change)
                LOG.info(
                    "alert %s ended: rule %s was removed or disabled",
                    change.alert.alert_id,
                    change.alert.rule,
                )
        if edit.cameras:
            analyser = deps.analyser
            if analyser is not None:
                analyser.set_settings(settings)
            for name in edit.cameras:
                deps.cameras.set_geometry(settings, name, analyser.new_gate if analyser is not None else None)
        edit.done.set()

    def _resume(self) -> None:
        """Hand the alerts from before a restart to the rule engine (active ones to continue, ended ones
        for their cooldown); active ones whose rule is gone or disabled end here, without actions
        (there is no rule to plan them from)."""
        alerts = self._deps.alerts
        stored = alerts.resumable()
        orphans = self._rules.resume(stored, alerts.recent())
        orphaned = {item.alert.alert_id for item in orphans}
        for item in stored:
            if item.alert.alert_id not in orphaned:
                LOG.info("alert %s resumed: %s", item.alert.alert_id, item.alert.summary)
        now = self._deps.clock()
        for item in orphans:
            ended = replace(item.alert, state="ended", ended_s=now, updated_s=now)
            alerts.apply(AlertChange("end", ended, None, item.next_sequence))
            LOG.info("alert %s ended at start: rule %s is no longer enabled", ended.alert_id, ended.rule)
