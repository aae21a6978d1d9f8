"""Control stages one at a time on a ControlContext: track, snapshot, evaluate, alerts, actions, requests,
observe."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from service.metrics import Metrics
from service.pipeline.actions.outbox import Outbox
from service.pipeline.analysis.analyser import FrameAnalyser
from service.pipeline.analysis.annotate import encode_jpeg
from service.pipeline.analysis.sighting import AnalysedFrame, FrameView, StillFrame
from service.pipeline.analysis.tracking import Box, Observation
from service.pipeline.cameras.camera_state import CameraTable
from service.pipeline.control import context as context_module
from service.pipeline.control.context import AppliedChange, CameraResult, ControlContext, context_for
from service.pipeline.control.stages import (
    Evaluate,
    LatestSnapshot,
    Observe,
    QueueActions,
    RecordAlerts,
    RequestFrames,
    Track,
)
from service.pipeline.ingest.sensor_reading import SensorReading
from service.pipeline.rules.engine import RuleEngine, RuleOutput
from service.pipeline.settings import OutboxSettings, PipelineSettings
from service.pipeline.state.alert_book import AlertBook
from service.pipeline.state.records import ActionOutcome, Alert, AlertChange, SensorUpdate
from service.pipeline.state.sensor_table import SensorTable
from service.pipeline.state.snapshot_store import Snapshot, SnapshotStore
from tests.unit.pipeline.support import FakeEngine

QUALITY = 80
PERSON_BOX: Box = (100.0, 100.0, 200.0, 400.0)
SETTINGS = PipelineSettings.model_validate(
    {
        "Devices": {
            "cam": {"Role": "camera", "Zones": {"all": [[0, 0], [1, 0], [1, 1], [0, 1]]}},
            "light": {"Role": "actuator"},
        },
        "Rules": [
            {
                "Name": "p",
                "Cameras": ["cam"],
                "Detection": {"Labels": ["person"]},
                "CooldownS": 0,
                "Actions": {
                    "AttachSnapshot": True,
                    "Command": {"Device": "light", "Command": "Switch", "Body": {"SwitchButton": "true"}},
                    "Notification": {"Category": "security"},
                },
            },
            {
                "Name": "quiet",
                "Cameras": ["other"],
                "Detection": {"Labels": ["person"]},
                "Actions": {"Snapshot": False},
            },
            {"Name": "pir", "Sensors": [{"Device": "pir", "Resource": "Motion", "Op": "eq", "Value": True}]},
        ],
        "Snapshots": {"LatestEveryS": 1.0, "Quality": QUALITY},
    }
)


class Clock:
    def __init__(self, now: float = 5000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class Parts:
    metrics: Metrics
    cameras: CameraTable
    alerts: AlertBook
    sensors: SensorTable
    snapshots: SnapshotStore
    outbox: Outbox
    clock: Clock
    enqueued: list[str] = field(default_factory=list)

    def sample(self, name: str, **labels: str) -> float:
        return self.metrics.registry.get_sample_value(name, labels) or 0.0

    def record_alerts(self) -> RecordAlerts:
        return RecordAlerts(self.alerts, self.snapshots, self.cameras, SETTINGS, self.metrics)

    def queue_actions(self) -> QueueActions:
        return QueueActions(self.outbox, self.alerts, SETTINGS, self.enqueued.append, self.clock)


@pytest.fixture
def parts(tmp_path: Path) -> Iterator[Parts]:
    metrics = Metrics()
    analyser = FrameAnalyser(SETTINGS, FakeEngine())
    clock = Clock()
    outbox = Outbox(tmp_path / "outbox.sqlite", OutboxSettings(), clock)
    yield Parts(
        metrics,
        CameraTable(SETTINGS, analyser.new_state, metrics),
        AlertBook(10, None),
        SensorTable(None),
        SnapshotStore(tmp_path / "snapshots", SETTINGS.Snapshots),
        outbox,
        clock,
    )
    outbox.close()


def analysed(
    t: float,
    *boxes: Box,
    camera: str = "cam",
    image: bool = True,
    latency_s: float = 0.2,
    event_id: str = "ev",
    correlation_id: str = "corr",
) -> AnalysedFrame:
    """A 640x480 frame analysed at t, decoded at half size, with a person in each box."""
    return AnalysedFrame(
        camera,
        640,
        480,
        tuple(Observation("person", "person", 0.9, box) for box in boxes),
        int((t - latency_s) * 1e9),
        t,
        event_id,
        correlation_id,
        np.full((240, 320, 3), 128, np.uint8) if image else None,
        2.0,
        None,
        (("person", 0.03),),
        (("transport", 0.01), ("inference", 0.03)),
    )


def frame_ctx(parts: Parts, frame: AnalysedFrame) -> ControlContext:
    return context_for(CameraResult(parts.cameras.state(frame.camera), frame), frame.analysed_s)


def tracked(parts: Parts, frame: AnalysedFrame) -> ControlContext:
    ctx = frame_ctx(parts, frame)
    Track(parts.cameras, parts.metrics)(ctx)
    return ctx


def alert(rule: str = "p", camera: str = "cam", alert_id: str = "a-1") -> Alert:
    return Alert(
        alert_id, rule, camera, "NORMAL", "person", f"{rule} on {camera}", "active", 10.0, 10.0, 10.0
    )


def with_changes(ctx: ControlContext, *changes: AlertChange) -> ControlContext:
    ctx.output = RuleOutput(changes=changes)
    return ctx


# Track


def test_track_fills_the_view_with_tracked_sightings_whose_ids_hold_across_frames(parts: Parts) -> None:
    first = tracked(parts, analysed(100.0, PERSON_BOX, event_id="ev-1", correlation_id="c-1"))
    second = tracked(parts, analysed(100.5, (104.0, 102.0, 204.0, 402.0), (500.0, 50.0, 560.0, 200.0)))
    assert first.view is not None and second.view is not None
    assert first.view.camera == "cam" and (first.view.width, first.view.height) == (640, 480)
    assert (first.view.event_id, first.view.correlation_id) == ("ev-1", "c-1")
    assert [s.zones for s in first.view.sightings] == [("all",)]
    ids = [s.track_id for s in second.view.sightings]
    assert ids[0] == first.view.sightings[0].track_id  # the same person, moved a little
    assert ids[1] != ids[0]  # someone new
    assert second.view.sightings[0].scores == (0.9, 0.9)


def test_track_uses_each_cameras_own_tracker(parts: Parts) -> None:
    cam = tracked(parts, analysed(100.0, PERSON_BOX))
    other = tracked(parts, analysed(100.1, PERSON_BOX, camera="other"))
    assert cam.view is not None and other.view is not None
    assert other.view.sightings[0].scores == (0.9,)  # not continuing cam's track
    assert other.view.sightings[0].zones == ()  # "other" has no zones


def test_track_counts_the_analysed_frame_and_observes_latency_stages_and_inference(parts: Parts) -> None:
    tracked(parts, analysed(100.0, PERSON_BOX, latency_s=0.25))
    tracked(parts, analysed(101.0, PERSON_BOX, latency_s=0.5))
    cam = parts.cameras.state("cam")
    assert cam.counters.analysed == 2 and list(cam.counters.analysed_at) == [100.0, 101.0]
    assert cam.counters.last_latency_s == pytest.approx(0.5)
    assert len(cam.counters.sightings) == 1
    assert parts.sample("frame_to_result_seconds_count", camera="cam") == 2
    assert parts.sample("frame_to_result_seconds_sum", camera="cam") == pytest.approx(0.75, abs=1e-3)
    for stage, seconds in (("transport", 0.01), ("inference", 0.03)):
        assert parts.sample("frame_stage_seconds_count", camera="cam", stage=stage) == 2
        total = parts.sample("frame_stage_seconds_sum", camera="cam", stage=stage)
        assert total == pytest.approx(2 * seconds)
    assert parts.sample("inference_seconds_count", model="person") == 2
    assert parts.sample("inference_seconds_sum", model="person") == pytest.approx(0.06)
    assert parts.sample("frame_stage_seconds_count", camera="cam", stage="rules") == 0  # Observe's


# LatestSnapshot


def test_the_latest_snapshot_is_replaced_only_when_due(parts: Parts) -> None:
    stage = LatestSnapshot(parts.cameras, SETTINGS)
    cam = parts.cameras.state("cam")
    first = tracked(parts, analysed(100.0, PERSON_BOX))
    stage(first)
    latest = cam.latest
    assert latest is not None and latest.taken_s == 100.0
    assert latest.jpeg is first.annotated_jpeg(QUALITY)
    decoded = cv2.imdecode(np.frombuffer(latest.jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert decoded is not None and decoded.shape == (240, 320, 3)
    stage(tracked(parts, analysed(100.9, PERSON_BOX)))
    assert cam.latest is latest
    third = tracked(parts, analysed(101.0, PERSON_BOX))
    stage(third)
    assert cam.latest is not None and cam.latest.taken_s == 101.0
    assert cam.latest.jpeg is third.annotated_jpeg(QUALITY)


def test_a_frame_without_its_image_leaves_no_latest_snapshot(parts: Parts) -> None:
    ctx = tracked(parts, analysed(100.0, PERSON_BOX, image=False))
    LatestSnapshot(parts.cameras, SETTINGS)(ctx)
    assert parts.cameras.state("cam").latest is None
    assert ctx.annotated_jpeg(QUALITY) is None


def test_the_annotated_frame_is_encoded_once_per_context(
    parts: Parts, monkeypatch: pytest.MonkeyPatch
) -> None:
    encoded: list[int] = []

    def counting(image: NDArray[np.uint8], quality: int) -> bytes:
        encoded.append(quality)
        return encode_jpeg(image, quality)

    monkeypatch.setattr(context_module, "encode_jpeg", counting)
    ctx = tracked(parts, analysed(100.0, PERSON_BOX))
    LatestSnapshot(parts.cameras, SETTINGS)(ctx)
    Evaluate(RuleEngine(SETTINGS.Rules, parts.sensors, parts.cameras), parts.sensors)(ctx)
    parts.record_alerts()(ctx)  # a new alert with a snapshot of the same frame
    first = ctx.annotated_jpeg(QUALITY)
    assert first is not None and ctx.annotated_jpeg(QUALITY) is first
    assert encoded == [QUALITY]
    assert len(ctx.applied) == 1 and parts.snapshots.read(ctx.applied[0].snapshot) == first
    tracked_again = tracked(parts, analysed(100.1, PERSON_BOX))
    assert tracked_again.annotated_jpeg(QUALITY) is not first and encoded == [QUALITY, QUALITY]


def test_annotated_jpeg_needs_a_frame_and_its_view(parts: Parts) -> None:
    assert ControlContext(1.0, "tick").annotated_jpeg(QUALITY) is None
    untracked = frame_ctx(parts, analysed(100.0, PERSON_BOX))
    assert untracked.annotated_jpeg(QUALITY) is None  # no view before Track


# Evaluate


class SpyRules(RuleEngine):
    """A rule engine recording which entry point each item reached."""

    def __init__(self, sensors: SensorTable) -> None:
        super().__init__([], sensors)
        self.calls: list[tuple[object, ...]] = []
        self.out = RuleOutput(frame_requests=("from-spy",))

    def on_frame(self, view: FrameView) -> RuleOutput:
        self.calls.append(("frame", view))
        return self.out

    def on_still(self, camera: str, now_s: float) -> None:
        self.calls.append(("still", camera, now_s))

    def on_sensor(self, update: SensorUpdate) -> RuleOutput:
        self.calls.append(("sensor", update))
        return self.out

    def tick(self, now_s: float) -> RuleOutput:
        self.calls.append(("tick", now_s))
        return self.out


def test_evaluate_sends_a_frame_to_on_frame(parts: Parts) -> None:
    rules = SpyRules(parts.sensors)
    ctx = tracked(parts, analysed(100.0, PERSON_BOX))
    Evaluate(rules, parts.sensors)(ctx)
    assert rules.calls == [("frame", ctx.view)] and ctx.output is rules.out


def test_evaluate_sends_a_still_frame_to_on_still(parts: Parts) -> None:
    rules = SpyRules(parts.sensors)
    ctx = context_for(CameraResult(parts.cameras.state("cam"), StillFrame("cam", 7.5)), 8.0)
    Evaluate(rules, parts.sensors)(ctx)
    assert rules.calls == [("still", "cam", 7.5)] and ctx.output == RuleOutput()


def test_evaluate_applies_a_reading_and_sends_the_update_to_on_sensor(parts: Parts) -> None:
    rules = SpyRules(parts.sensors)
    evaluate = Evaluate(rules, parts.sensors)
    ctx = context_for(SensorReading("pir", "Motion", "Bool", True, 2_000, 9.0), 9.0)
    evaluate(ctx)
    state = parts.sensors.get("pir", "Motion")
    assert state is not None and state.value is True and state.updated_s == 9.0
    assert len(rules.calls) == 1 and rules.calls[0][0] == "sensor"
    update = rules.calls[0][1]
    assert isinstance(update, SensorUpdate) and update.edge == "rising" and update.state == state
    assert ctx.output is rules.out


def test_evaluate_keeps_an_older_reading_out_of_the_table_and_the_rules(parts: Parts) -> None:
    rules = SpyRules(parts.sensors)
    evaluate = Evaluate(rules, parts.sensors)
    evaluate(context_for(SensorReading("pir", "Motion", "Bool", True, 2_000, 9.0), 9.0))
    late = context_for(SensorReading("pir", "Motion", "Bool", False, 1_000, 10.0), 10.0)
    evaluate(late)
    assert len(rules.calls) == 1 and late.output == RuleOutput()
    state = parts.sensors.get("pir", "Motion")
    assert state is not None and state.value is True


def test_evaluate_sends_a_tick_to_tick(parts: Parts) -> None:
    rules = SpyRules(parts.sensors)
    ctx = context_for(None, 42.0)
    Evaluate(rules, parts.sensors)(ctx)
    assert rules.calls == [("tick", 42.0)] and ctx.output is rules.out


def test_evaluate_with_the_real_engine_starts_an_alert_on_a_frame(parts: Parts) -> None:
    ctx = tracked(parts, analysed(100.0, PERSON_BOX))
    Evaluate(RuleEngine(SETTINGS.Rules, parts.sensors, parts.cameras), parts.sensors)(ctx)
    assert [(c.transition, c.alert.rule, c.alert.camera) for c in ctx.output.changes] == [("new", "p", "cam")]
    assert ctx.output.changes[0].frame is ctx.view


# RecordAlerts


def test_record_alerts_stores_a_frame_alert_with_a_snapshot_of_that_frame(parts: Parts) -> None:
    ctx = tracked(parts, analysed(100.0, PERSON_BOX))
    Evaluate(RuleEngine(SETTINGS.Rules, parts.sensors, parts.cameras), parts.sensors)(ctx)
    parts.record_alerts()(ctx)
    [stored] = parts.alerts.active()
    assert stored.rule == "p" and stored.snapshot == f"{stored.alert_id}.jpg"
    assert parts.snapshots.read(stored.snapshot) == ctx.annotated_jpeg(QUALITY)
    [applied] = ctx.applied
    assert applied.alert == stored and applied.snapshot == stored.snapshot
    assert applied.change.alert.snapshot == stored.snapshot
    assert parts.sample("alerts_total", rule="p", state="new") == 1


def test_record_alerts_counts_suppressed_alerts_by_reason(parts: Parts) -> None:
    ctx = ControlContext(1.0, "tick")
    ctx.output = RuleOutput(suppressed=(("p", "cooldown"), ("p", "cooldown"), ("quiet", "hours")))
    parts.record_alerts()(ctx)
    assert parts.sample("alerts_total", rule="p", state="suppressed_cooldown") == 2
    assert parts.sample("alerts_total", rule="quiet", state="suppressed_hours") == 1
    assert parts.sample("alerts_total", rule="p", state="new") == 0
    assert parts.alerts.active() == [] and ctx.applied == []


def test_a_change_without_a_frame_takes_the_cameras_latest_snapshot(parts: Parts) -> None:
    parts.cameras.set_latest(parts.cameras.state("cam"), Snapshot(b"latest-jpeg", 9.0))
    ctx = with_changes(context_for(None, 11.0), AlertChange("new", alert(), None, 0))
    parts.record_alerts()(ctx)
    assert ctx.applied[0].snapshot == "a-1.jpg"
    assert parts.snapshots.read("a-1.jpg") == b"latest-jpeg"
    stored = parts.alerts.get("a-1")
    assert stored is not None and stored.snapshot == "a-1.jpg"


@pytest.mark.parametrize("camera", ["cam", "unseen", ""])
def test_without_a_frame_or_a_latest_snapshot_the_alert_has_none(parts: Parts, camera: str) -> None:
    parts.cameras.state("cam")  # seen, but no latest snapshot yet
    rule = "pir" if not camera else "p"
    ctx = with_changes(context_for(None, 11.0), AlertChange("new", alert(rule, camera), None, 0))
    parts.record_alerts()(ctx)
    assert ctx.applied[0].snapshot == ""
    stored = parts.alerts.get("a-1")
    assert stored is not None and stored.snapshot == ""
    assert parts.snapshots.read("a-1.jpg") is None
    assert parts.sample("alerts_total", rule=rule, state="new") == 1


def test_a_rule_without_snapshots_saves_none(parts: Parts) -> None:
    other = parts.cameras.state("other")
    parts.cameras.set_latest(other, Snapshot(b"latest-jpeg", 9.0))
    ctx = tracked(parts, analysed(100.0, PERSON_BOX, camera="other"))
    assert ctx.view is not None
    ctx = with_changes(ctx, AlertChange("new", alert("quiet", "other"), ctx.view, 0))
    parts.record_alerts()(ctx)
    assert ctx.applied[0].snapshot == "" and parts.snapshots.read("a-1.jpg") is None
    assert parts.sample("alerts_total", rule="quiet", state="new") == 1


def test_an_ending_alert_saves_no_snapshot_and_keeps_the_one_it_has(parts: Parts) -> None:
    cam = parts.cameras.state("cam")
    parts.cameras.set_latest(cam, Snapshot(b"first", 9.0))
    record = parts.record_alerts()
    record(with_changes(context_for(None, 11.0), AlertChange("new", alert(), None, 0)))
    parts.cameras.set_latest(cam, Snapshot(b"second", 20.0))
    ended = replace(alert(), state="ended", ended_s=40.0, updated_s=40.0)
    ctx = with_changes(context_for(None, 40.0), AlertChange("end", ended, None, 1))
    record(ctx)
    assert ctx.applied[0].snapshot == "" and ctx.applied[0].change.alert.snapshot == ""
    assert parts.snapshots.read("a-1.jpg") == b"first"
    assert parts.alerts.active() == []
    [gone] = parts.alerts.recent()
    assert gone.state == "ended" and gone.snapshot == "a-1.jpg"
    assert parts.sample("alerts_total", rule="p", state="end") == 1


def test_an_update_from_a_frame_saves_that_frame_again(parts: Parts) -> None:
    record = parts.record_alerts()
    parts.cameras.set_latest(parts.cameras.state("cam"), Snapshot(b"latest-jpeg", 9.0))
    record(with_changes(context_for(None, 11.0), AlertChange("new", alert(), None, 0)))
    ctx = tracked(parts, analysed(100.0, PERSON_BOX))
    assert ctx.view is not None
    record(with_changes(ctx, AlertChange("update", replace(alert(), updates=1), ctx.view, 1)))
    assert parts.snapshots.read("a-1.jpg") == ctx.annotated_jpeg(QUALITY) != b"latest-jpeg"
    assert parts.sample("alerts_total", rule="p", state="update") == 1


def test_a_frame_of_one_camera_is_not_the_snapshot_of_another_cameras_alert(parts: Parts) -> None:
    parts.cameras.set_latest(parts.cameras.state("other"), Snapshot(b"other-latest", 9.0))
    ctx = tracked(parts, analysed(100.0, PERSON_BOX))
    assert ctx.view is not None
    parts.record_alerts()(with_changes(ctx, AlertChange("new", alert("p", "other"), ctx.view, 0)))
    assert parts.snapshots.read("a-1.jpg") == b"other-latest"


# QueueActions


def applied_new(parts: Parts, alert_id: str = "a-1") -> ControlContext:
    """A context whose new alert of rule p (camera cam) the book has stored, with snapshot s.jpg."""
    change = AlertChange("new", alert(alert_id=alert_id), None, 0)
    ctx = context_for(None, 11.0)
    ctx.applied.append(AppliedChange(change, parts.alerts.apply(change), "s.jpg"))
    return ctx


def test_queue_actions_enqueues_the_planned_rows_and_marks_them_queued(parts: Parts) -> None:
    parts.queue_actions()(applied_new(parts))
    pending = parts.outbox.items("pending")
    assert sorted(item.key for item in pending) == ["a-1/0/command", "a-1/0/event", "a-1/0/notification"]
    assert {item.alert_id for item in pending} == {"a-1"}
    assert parts.enqueued == ["event", "command", "notification"]
    stored = parts.alerts.get("a-1")
    assert stored is not None
    assert sorted(stored.actions, key=lambda a: a.key) == [
        ActionOutcome(f"a-1/0/{kind}", kind, "queued", 0, None, "", parts.clock.now)
        for kind in ("command", "event", "notification")
    ]
    [event] = [item for item in pending if item.kind == "event"]
    assert json.loads(event.payload)["snapshot"] == "s.jpg"  # AttachSnapshot on a new alert


def test_queueing_the_same_change_twice_queues_nothing_new(parts: Parts) -> None:
    queue = parts.queue_actions()
    ctx = applied_new(parts)
    queue(ctx)
    delivered = ActionOutcome("a-1/0/event", "event", "delivered", 1, 3.0, "", 5001.0)
    parts.alerts.record_action("a-1", delivered)
    parts.clock.now += 10
    queue(ctx)
    assert parts.enqueued == ["event", "command", "notification"]
    assert parts.outbox.counts()["pending"] == 3
    stored = parts.alerts.get("a-1")
    assert stored is not None and len(stored.actions) == 3
    assert delivered in stored.actions  # not reset to "queued"


def test_an_update_queues_only_its_result_event(parts: Parts) -> None:
    queue = parts.queue_actions()
    queue(applied_new(parts))
    update = AlertChange("update", replace(alert(), updates=1), None, 1)
    ctx = context_for(None, 12.0)
    ctx.applied.append(AppliedChange(update, parts.alerts.apply(update), ""))
    queue(ctx)
    assert parts.enqueued == ["event", "command", "notification", "event"]
    keys = {item.key for item in parts.outbox.items("pending")}
    assert "a-1/1/event" in keys and "a-1/1/command" not in keys
    stored = parts.alerts.get("a-1")
    assert stored is not None and len(stored.actions) == 4


def test_queue_actions_without_applied_changes_does_nothing(parts: Parts) -> None:
    parts.queue_actions()(context_for(None, 1.0))
    assert parts.enqueued == [] and parts.outbox.counts()["pending"] == 0


# RequestFrames


def test_request_frames_asks_each_camera_the_rules_want(parts: Parts) -> None:
    requested: list[str] = []
    stage = RequestFrames(requested.append)
    ctx = context_for(None, 1.0)
    stage(ctx)
    assert requested == []
    ctx.output = RuleOutput(frame_requests=("door-cam", "yard-cam"))
    stage(ctx)
    assert requested == ["door-cam", "yard-cam"]


# Observe


def test_observe_times_the_rules_stage_and_shows_the_view_to_every_listener(parts: Parts) -> None:
    clock = Clock(100.25)
    observe = Observe(parts.metrics, clock)
    seen: list[tuple[str, FrameView]] = []
    observe.listeners.append(lambda view: seen.append(("first", view)))
    observe.listeners.append(lambda view: seen.append(("second", view)))
    ctx = tracked(parts, analysed(100.0, PERSON_BOX))
    assert ctx.view is not None
    observe(ctx)
    assert seen == [("first", ctx.view), ("second", ctx.view)]
    assert parts.sample("frame_stage_seconds_count", camera="cam", stage="rules") == 1
    assert parts.sample("frame_stage_seconds_sum", camera="cam", stage="rules") == pytest.approx(0.25)
    clock.now = 50.0  # a clock behind the frame observes 0, never a negative time
    observe(ctx)
    assert parts.sample("frame_stage_seconds_sum", camera="cam", stage="rules") == pytest.approx(0.25)
    assert parts.sample("frame_stage_seconds_count", camera="cam", stage="rules") == 2
