"""The control stages: each does one step of an item's trip and leaves its result in the context.

Frame:   track -> count -> snapshot -> evaluate -> gate -> alerts -> actions -> requests -> observe
Still:   evaluate
Reading: evaluate -> gate -> alerts -> actions -> requests
Tick:    evaluate -> gate -> alerts -> actions
Each metric is counted in one stage only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from service.metrics import Children, Metrics
from service.pipeline.actions.outbox import Outbox
from service.pipeline.actions.plan import plan_actions
from service.pipeline.analysis.sighting import FrameView, sight
from service.pipeline.cameras.camera_state import CameraState, CameraTable
from service.pipeline.control.context import AppliedChange, ControlContext
from service.pipeline.control.count_output import CountOutput
from service.pipeline.rule_settings import RuleSettings
from service.pipeline.rules.engine import RuleEngine
from service.pipeline.settings import PipelineSettings
from service.pipeline.state.alert_book import AlertBook
from service.pipeline.state.alert_clips import AlertClips
from service.pipeline.state.records import ActionOutcome, AlertChange
from service.pipeline.state.sensor_table import SensorTable
from service.pipeline.state.snapshot_store import Snapshot, SnapshotStore

LOG = logging.getLogger(__name__)


class Track:
    """Track the frame's detections with its camera's tracker, place them in zones: the FrameView."""

    name = "track"

    def __init__(self, cameras: CameraTable, metrics: Metrics) -> None:
        self._cameras = cameras
        self._latency = Children(metrics.frame_to_result_seconds)
        self._stage = Children(metrics.frame_stage_seconds)
        self._inference = Children(metrics.inference_seconds)

    def __call__(self, ctx: ControlContext) -> None:
        camera, frame = ctx.camera, ctx.frame
        assert camera is not None and frame is not None  # the frame chain's input
        view = ctx.view = sight(frame, camera.tracker, camera.zones)
        self._cameras.analysed(camera, view)
        self._latency(view.camera).observe(view.latency_s)
        for stage, seconds in view.stages:
            self._stage(view.camera, stage).observe(seconds)
        for model, seconds in frame.inference_s:
            self._inference(model).observe(seconds)


class Count:
    """Count the frame's sightings on the camera's lines and zones (cameras with a counter)."""

    name = "count"

    def __init__(self, output: CountOutput) -> None:
        self._output = output

    def __call__(self, ctx: ControlContext) -> None:
        camera, view = ctx.camera, ctx.view
        assert camera is not None and view is not None
        if camera.counter is not None:
            self._output.counted(camera, camera.counter.update(view), view.analysed_s)


class LatestSnapshot:
    """Every LatestEveryS, the frame becomes the camera's latest snapshot (annotated and encoded
    when first read: REST, or an alert of a later tick)."""

    name = "snapshot"

    def __init__(self, cameras: CameraTable, settings: PipelineSettings) -> None:
        self._cameras = cameras
        self._every_s = settings.Snapshots.LatestEveryS
        self._quality = settings.Snapshots.Quality

    def __call__(self, ctx: ControlContext) -> None:
        camera, view = ctx.camera, ctx.view
        assert camera is not None and view is not None
        frame = ctx.frame
        if (
            frame is not None
            and frame.image is not None
            and camera.snapshot_due(view.analysed_s, self._every_s)
        ):
            quality = self._quality
            self._cameras.set_latest(
                camera, Snapshot(lambda: ctx.annotated_jpeg(quality) or b"", view.analysed_s)
            )


class Evaluate:
    """Run the rule engine on the item: a frame, a still frame, a sensor reading or the passing of time."""

    name = "evaluate"

    def __init__(self, rules: RuleEngine, sensors: SensorTable) -> None:
        self._rules = rules
        self._sensors = sensors

    def __call__(self, ctx: ControlContext) -> None:
        if ctx.view is not None:
            ctx.output = self._rules.on_frame(ctx.view)
        elif ctx.still is not None:
            self._rules.on_still(ctx.still.camera, ctx.still.seen_s)
        elif ctx.reading is not None:
            update = self._sensors.apply(ctx.reading)
            if update.applied:
                ctx.output = self._rules.on_sensor(update)
        else:
            ctx.output = self._rules.tick(ctx.now_s)


class KeepAnalysing:
    """Tell the analyser which cameras must be analysed even when still (see AnalysisState)."""

    name = "gate"

    def __init__(self, rules: RuleEngine, cameras: CameraTable) -> None:
        self._rules = rules
        self._cameras = cameras
        self._windowed: set[str] = set()

    def __call__(self, ctx: ControlContext) -> None:
        if ctx.camera is not None:
            self._update(ctx.camera)
            return
        windowed = self._rules.window_cameras()  # a reading or a tick may open or close windows
        for name in windowed | self._windowed:
            self._update(self._cameras.state(name))
        self._windowed = windowed

    def _update(self, camera: CameraState) -> None:
        camera.analysis.keep_analysing = len(camera.tracker) > 0 or self._rules.collecting(camera.lanes)


class RecordAlerts:
    """Apply the rule engine's changes to the alert book (with their alert snapshots); count them."""

    name = "alerts"

    def __init__(
        self,
        alerts: AlertBook,
        snapshots: SnapshotStore,
        cameras: CameraTable,
        settings: PipelineSettings,
        metrics: Metrics,
        clips: AlertClips | None = None,
    ) -> None:
        self._alerts = alerts
        self._snapshots = snapshots
        self._cameras = cameras
        self._rules = {rule.Name: rule for rule in settings.Rules}
        self._quality = settings.Snapshots.Quality
        self._counted = Children(metrics.alerts_total)
        self._clips = clips

    def set_rules(self, rules: Sequence[RuleSettings]) -> None:
        """The rules changed (a live edit): their snapshot settings from now on."""
        self._rules = {rule.Name: rule for rule in rules}

    def __call__(self, ctx: ControlContext) -> None:
        for rule, reason in ctx.output.suppressed:
            self._counted(rule, f"suppressed_{reason}").inc()
        for change in ctx.output.changes:
            snapshot = ""
            if self._rules[change.alert.rule].Actions.Snapshot and change.transition != "end":
                snapshot = self._save_snapshot(change, ctx)
                change = replace(change, alert=replace(change.alert, snapshot=snapshot))
            if change.transition == "new":
                change = self._request_clip(change, ctx.now_s)
            alert = self._alerts.apply(change)
            self._counted(alert.rule, change.transition).inc()
            if change.transition != "update":
                LOG.info("alert %s %s: %s", change.transition, alert.alert_id, alert.summary)
            ctx.applied.append(AppliedChange(change, alert, snapshot))

    def _request_clip(self, change: AlertChange, now_s: float) -> AlertChange:
        """Ask the camera's recorder for the new alert's clip, around its frame's capture time."""
        alert = change.alert
        if self._clips is None or not alert.camera:
            return change
        at_s = change.frame.origin_ns / 1e9 if change.frame is not None else now_s
        if not self._clips.request(alert.alert_id, alert.camera, at_s):
            return change
        return replace(change, alert=replace(alert, clip=f"{alert.alert_id}.mp4"))

    def _save_snapshot(self, change: AlertChange, ctx: ControlContext) -> str:
        """The alert's frame annotated, else the camera's latest snapshot; '' when there is neither."""
        camera = change.alert.camera
        frame = ctx.frame
        jpeg = None
        if frame is not None and frame.camera == camera and change.frame is ctx.view:
            jpeg = ctx.annotated_jpeg(self._quality)
        if jpeg is None:
            state = self._cameras.get(camera) if camera else None
            latest = state.latest if state is not None else None
            if latest is None:
                return ""
            jpeg = latest.jpeg
        return self._snapshots.save(change.alert.alert_id, jpeg)


class QueueActions:
    """Plan each applied change's actions into the outbox, mark them queued, wake their delivery."""

    name = "actions"

    def __init__(
        self,
        outbox: Outbox,
        alerts: AlertBook,
        settings: PipelineSettings,
        on_enqueued: Callable[[str], None],
        clock: Callable[[], float],
    ) -> None:
        self._outbox = outbox
        self._alerts = alerts
        self._rules: dict[str, RuleSettings] = {rule.Name: rule for rule in settings.Rules}
        self._source = settings.ResultSource
        self._on_enqueued = on_enqueued
        self._clock = clock

    def set_rules(self, rules: Sequence[RuleSettings]) -> None:
        """The rules changed (a live edit): their actions from now on."""
        self._rules = {rule.Name: rule for rule in rules}

    def __call__(self, ctx: ControlContext) -> None:
        for applied in ctx.applied:
            change, alert = applied.change, applied.alert
            now = self._clock()
            for action in plan_actions(change, self._rules[alert.rule], self._source, applied.snapshot):
                if self._outbox.enqueue(action.key, action.kind, action.alert_id, action.payload):
                    queued = ActionOutcome(action.key, action.kind, "queued", 0, None, "", now)
                    self._alerts.record_action(alert.alert_id, queued)
                    self._on_enqueued(action.kind)


class RequestFrames:
    """Ask for a frame of each camera a fusion rule wants to see now."""

    name = "requests"

    def __init__(self, request_frame: Callable[[str], None]) -> None:
        self._request_frame = request_frame

    def __call__(self, ctx: ControlContext) -> None:
        for camera in ctx.output.frame_requests:
            self._request_frame(camera)


class Observe:
    """Time the rules stage of the frame (analysed -> here) and show the view to the listeners."""

    name = "observe"

    def __init__(self, metrics: Metrics, clock: Callable[[], float] = time.time) -> None:
        self._stage = Children(metrics.frame_stage_seconds)
        self._clock = clock
        self.listeners: list[Callable[[FrameView], None]] = []

    def __call__(self, ctx: ControlContext) -> None:
        view = ctx.view
        assert view is not None
        self._stage(view.camera, "rules").observe(max(0.0, self._clock() - view.analysed_s))
        for listener in self.listeners:
            listener(view)
