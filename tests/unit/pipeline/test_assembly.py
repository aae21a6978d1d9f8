"""Pipeline end to end in process: memory bus, fake engine, in-process EdgeX clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from service.edgex.bus import MemoryBus
from service.edgex.commands import CommandResult
from service.edgex.dtos import AddEventRequest, Reading, new_add_event_request, new_event
from service.edgex.envelope import envelope_for_event, event_from_envelope
from service.edgex.wire_format import WireFormat
from service.metrics import Metrics
from service.pipeline.assembly import Pipeline, PipelineDeps
from service.pipeline.errors import PipelineConfigError
from service.pipeline.settings import PipelineSettings
from tests.unit.pipeline.support import (
    GREY,
    RED,
    Canned,
    FakeEngine,
    StubCommands,
    StubNotifications,
    jpeg,
    wait_for,
)

PERSON_RULE = {
    "Name": "person",
    "Detection": {"Labels": ["person"]},
    "EndAfterS": 0.5,
    "CooldownS": 60,
    "Actions": {
        "Command": {"Device": "light", "Command": "Switch", "Body": {"SwitchButton": "true"}},
        "Notification": {"Category": "security"},
    },
}


class Harness:
    def __init__(
        self, tmp_path: Path, settings: dict[str, Any], commands: StubCommands | None = None
    ) -> None:
        self.bus = MemoryBus(WireFormat())
        self.bus.connect()
        self.results: list[AddEventRequest] = []
        self.bus.subscribe(
            ["edgex/events/device/app-vision/#"],
            lambda _t, env: self.results.append(event_from_envelope(env)),
            lambda *_: None,
        )
        self.engine = FakeEngine({RED: [Canned("person", 0.95, (0.2, 0.1, 0.6, 0.9))]})
        self.commands = commands or StubCommands()
        self.notes = StubNotifications()
        self.metrics = Metrics()
        settings = {"Outbox": {"BackoffInitialS": 0.05, "BackoffMaxS": 0.2}, **settings}
        deps = PipelineDeps(
            PipelineSettings.model_validate(settings),
            self.engine,
            self.bus,
            self.commands,
            self.notes,
            self.metrics,
            WireFormat(),
            "edgex",
            tmp_path,
        )
        try:
            self.pipeline = Pipeline(deps)
        except Exception:
            self.bus.close()  # no bus thread may outlive a test that expects the pipeline to refuse
            raise

    def publish_frame(self, camera: str, data: bytes) -> None:
        req = new_add_event_request(
            new_event(camera, "camera", "jpeg", [Reading.binary("jpeg", data, "image/jpeg")])
        )
        self.pipeline.handle_event(req, f"edgex/events/device/device-rest/camera/{camera}/jpeg")

    def publish_bool(self, device: str, resource: str, value: bool) -> None:
        req = new_add_event_request(
            new_event(device, "sensor", resource, [Reading.simple(resource, "Bool", value)])
        )
        envelope = envelope_for_event(req, WireFormat().form)
        self.pipeline.handle_event(event_from_envelope(envelope), "")

    def metric(self, name: str, **labels: str) -> float:
        value = self.metrics.registry.get_sample_value(name, labels)
        return 0.0 if value is None else value


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    h = Harness(tmp_path, {"Rules": [PERSON_RULE]})
    h.pipeline.start()
    yield h
    h.pipeline.stop()
    h.bus.close()


def test_a_person_frame_yields_result_event_command_notification_and_snapshot(harness: Harness) -> None:
    harness.publish_frame("cam", jpeg(RED))
    assert wait_for(lambda: harness.results and harness.commands.sets and harness.notes.sent)
    event = harness.results[0].event
    assert event.device_name == "app-vision" and event.profile_name == "app-vision-result"
    detection = next(r for r in event.readings if r.resource_name == "Detection").object_value
    assert isinstance(detection, dict) and detection["label"] == "person" and detection["camera"] == "cam"
    assert harness.commands.sets == [("light", "Switch", {"SwitchButton": "true"})]
    alert = harness.pipeline.view.active_alerts()[0]
    assert harness.pipeline.view.alert_snapshot(alert.alert_id) is not None
    assert harness.pipeline.view.latest_snapshot("cam") is not None

    def outcomes() -> dict[str, str]:
        found = harness.pipeline.view.alert(alert.alert_id)
        return {a.kind: a.outcome for a in found.actions} if found is not None else {}

    assert wait_for(
        lambda: outcomes() == {"event": "delivered", "command": "delivered", "notification": "delivered"}
    )
    assert harness.engine.loaded == ["person"]
    assert harness.metric("frames_received_total", camera="cam") == 1
    assert harness.metric("alerts_total", rule="person", state="new") == 1
    # quiet period: the alert ends and an end event follows
    assert wait_for(lambda: harness.pipeline.view.recent_alerts(), 3)
    assert wait_for(lambda: [r.event.readings[0].value for r in harness.results] == ["new", "end"], 3)


def test_frames_without_people_yield_nothing(harness: Harness) -> None:
    for _ in range(3):
        harness.publish_frame("cam", jpeg(GREY))
    assert wait_for(
        lambda: harness.pipeline.view.cameras() and harness.pipeline.view.cameras()[0].frames_analysed >= 1
    )
    assert not wait_for(lambda: harness.results or harness.commands.sets, 0.5)
    assert harness.pipeline.view.active_alerts() == []


def test_sensor_readings_fill_the_table(harness: Harness) -> None:
    harness.publish_bool("pir", "Motion", True)
    assert wait_for(lambda: harness.pipeline.view.sensor_states())
    state = harness.pipeline.view.sensor_states()[0]
    assert (state.device, state.resource, state.value) == ("pir", "Motion", True)


def test_fusion_fetches_a_snapshot_through_core_command(tmp_path: Path) -> None:
    snapshot_event = new_event(
        "onvif-cam", "camera", "Snapshot", [Reading.binary("Snapshot", jpeg(RED), "image/jpeg")]
    )
    commands = StubCommands(get_result=CommandResult(True, 200, "", 0.01, snapshot_event))
    rule = {
        "Name": "door",
        "Detection": {},
        "Trigger": {"Device": "door", "Resource": "Open", "Camera": "onvif-cam", "WindowS": 5},
    }
    h = Harness(
        tmp_path,
        {"Devices": {"onvif-cam": {"Role": "camera", "SnapshotCommand": "Snapshot"}}, "Rules": [rule]},
        commands,
    )
    h.pipeline.start()
    try:
        h.publish_bool("door", "Open", True)
        assert wait_for(lambda: h.pipeline.view.active_alerts(), 5)
        assert commands.gets == [("onvif-cam", "Snapshot")]
        assert "within 5 s of door/Open rising" in h.pipeline.view.active_alerts()[0].summary
    finally:
        h.pipeline.stop()
        h.bus.close()


def test_queued_commands_survive_a_restart_and_are_sent_once(tmp_path: Path) -> None:
    commands = StubCommands(down=True)
    first = Harness(tmp_path, {"Rules": [PERSON_RULE]}, commands)
    first.pipeline.start()
    first.publish_frame("cam", jpeg(RED))
    assert wait_for(lambda: first.pipeline.view.outbox_counts()["pending"] == 1 and first.results)
    first_alert = first.pipeline.view.active_alerts()[0].alert_id
    first.pipeline.stop()
    first.bus.close()
    commands.down = False
    second = Harness(tmp_path, {"Rules": [PERSON_RULE]}, commands)
    second.pipeline.start()
    try:
        assert wait_for(lambda: commands.sets, 3)
        assert not wait_for(lambda: len(commands.sets) > 1, 0.5)
        assert second.pipeline.view.outbox_counts()["pending"] == 0
        # the "new" event was delivered before the restart and is never re-published; the alert,
        # resumed from disk, ends after its quiet period under its own id
        assert wait_for(lambda: second.results, 3)
        [end] = second.results
        readings = {r.resource_name: r for r in end.event.readings}
        assert readings["AlertState"].value == "end"
        assert second.pipeline.view.recent_alerts()[0].alert_id == first_alert
    finally:
        second.pipeline.stop()
        second.bus.close()


def test_an_alert_resumes_across_a_restart_instead_of_starting_again(tmp_path: Path) -> None:
    rule = {**PERSON_RULE, "EndAfterS": 30, "UpdateEveryS": 0.001}
    first = Harness(tmp_path, {"Rules": [rule]})
    first.pipeline.start()
    first.publish_frame("cam", jpeg(RED))
    assert wait_for(lambda: first.commands.sets and first.notes.sent and first.results)
    [alert] = first.pipeline.view.active_alerts()
    first.pipeline.stop()
    first.bus.close()
    second = Harness(tmp_path, {"Rules": [rule]}, first.commands)
    second.notes = first.notes
    second.pipeline.start()
    try:
        assert [a.alert_id for a in second.pipeline.view.active_alerts()] == [alert.alert_id]
        second.publish_frame("cam", jpeg(RED))  # the person is still there
        assert wait_for(lambda: second.results, 3)
        [update] = second.results
        readings = {r.resource_name: r for r in update.event.readings}
        assert readings["AlertState"].value == "update"
        alert_object = readings["Alert"].object_value
        assert isinstance(alert_object, dict)
        assert alert_object["alertId"] == alert.alert_id and alert_object["sequence"] == 1
        assert wait_for(lambda: second.pipeline.view.active_alerts()[0].updates == 1, 3)
        assert not wait_for(lambda: len(first.commands.sets) > 1 or len(first.notes.sent) > 1, 0.5)
    finally:
        second.pipeline.stop()
        second.bus.close()


def test_unknown_models_are_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(PipelineConfigError, match="unknown model"):
        Harness(tmp_path, {"DefaultModel": "yolo"})


def test_undecodable_frames_are_counted(harness: Harness) -> None:
    harness.publish_frame("cam", b"\xff\xd8 broken")
    assert wait_for(lambda: harness.metric("decode_errors_total", kind="image") == 1)
    assert wait_for(lambda: harness.pipeline.view.cameras()[0].drops == {"decode": 1})


def test_an_alert_whose_rule_was_removed_ends_at_restart_without_actions(tmp_path: Path) -> None:
    first = Harness(tmp_path, {"Rules": [{**PERSON_RULE, "EndAfterS": 30}]})
    first.pipeline.start()
    first.publish_frame("cam", jpeg(RED))
    assert wait_for(lambda: first.results and first.commands.sets)
    [alert] = first.pipeline.view.active_alerts()
    first.pipeline.stop()
    first.bus.close()
    second = Harness(tmp_path, {"Rules": [{**PERSON_RULE, "Name": "renamed"}]})
    second.pipeline.start()
    try:
        assert second.pipeline.view.active_alerts() == []
        [ended] = second.pipeline.view.recent_alerts()
        assert (ended.alert_id, ended.state) == (alert.alert_id, "ended")
        assert not wait_for(lambda: second.results or second.commands.sets, 0.5)
    finally:
        second.pipeline.stop()
        second.bus.close()


def test_a_door_still_open_after_a_restart_is_not_a_new_opening(tmp_path: Path) -> None:
    rule = {
        "Name": "door-no-person",
        "Detection": {"Labels": ["person"]},
        "Trigger": {
            "Device": "door",
            "Resource": "Open",
            "Camera": "cam",
            "WindowS": 0.3,
            "Expect": "absent",
        },
        "EndAfterS": 0.2,
        "CooldownS": 0,
    }
    first = Harness(tmp_path, {"Rules": [rule]})
    first.pipeline.start()
    first.publish_bool("door", "Open", True)
    assert wait_for(lambda: first.metric("alerts_total", rule="door-no-person", state="new") == 1, 3)
    first.pipeline.stop()
    first.bus.close()
    second = Harness(tmp_path, {"Rules": [rule]})
    second.pipeline.start()
    try:
        [door] = second.pipeline.view.sensor_states()
        assert (door.device, door.resource, door.value) == ("door", "Open", True)
        second.publish_bool("door", "Open", True)  # the device's periodic reading: still open
        assert not wait_for(
            lambda: second.metric("alerts_total", rule="door-no-person", state="new") > 0, 1.0
        )
        second.publish_bool("door", "Open", False)
        second.publish_bool("door", "Open", True)  # opened again: a real edge
        assert wait_for(lambda: second.metric("alerts_total", rule="door-no-person", state="new") == 1, 3)
    finally:
        second.pipeline.stop()
        second.bus.close()
