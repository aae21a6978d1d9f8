"""Issue 4 "done when", over real Mosquitto with real models and spec-validating EdgeX fakes."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.fakes.core_command import FakeCoreCommand
from tests.fakes.support_notifications import FakeSupportNotifications
from tests.pipeline.conftest import ServiceFactory
from tests.pipeline.plain import PlainMqtt
from tests.pipeline.schema import add_event_request_errors
from tests.unit.pipeline.support import wait_for

PUT_PATH = "/api/v3/device/name/Random-Boolean-Device/WriteBoolValue"
PERSON: dict[str, Any] = {
    "Name": "person",
    "Cameras": ["cam-1"],
    "Detection": {"Labels": ["person"], "MinScore": 0.6},
    "Severity": "CRITICAL",
    "CooldownS": 4,
    "EndAfterS": 1,
    "UpdateEveryS": 30,
    "Actions": {
        "Command": {"Device": "Random-Boolean-Device", "Command": "WriteBoolValue", "Body": {"Bool": "true"}},
        "Notification": {"Category": "security", "Labels": ["site-1"]},
    },
}
FAST = {"Outbox": {"BackoffInitialS": 0.1, "BackoffMaxS": 0.5}, "HeartbeatS": 30}


def puts(core_command: FakeCoreCommand) -> int:
    return sum(1 for r in core_command.requests if r.method == "PUT")


def test_a_person_yields_result_event_command_and_notification(
    start_service: ServiceFactory,
    plain: PlainMqtt,
    core_command: FakeCoreCommand,
    notifications: FakeSupportNotifications,
) -> None:
    service = start_service({**FAST, "Rules": [PERSON]})
    plain.frame("cam-1", "astronaut")
    assert wait_for(lambda: plain.results and puts(core_command) and notifications.notifications, 10)
    result = plain.results[0]
    assert result.topic == "edgex/events/device/app-vision/app-vision-result/app-vision/Alert"
    event = result.event
    assert (event["deviceName"], event["profileName"], event["sourceName"]) == (
        "app-vision",
        "app-vision-result",
        "Alert",
    )
    assert result.state == "new"
    detection = result.readings("Detection")[0]
    assert detection["valueType"] == "Object"
    found = detection["objectValue"]
    assert found["label"] == "person" and found["score"] > 0.6 and found["camera"] == "cam-1"
    assert found["alertId"] == result.alert["alertId"] and found["model"] == "person"
    assert 0 < found["latencyMs"] < 2000
    x1, y1, x2, y2 = found["box"]
    assert x2 - x1 > 150 and y2 - y1 > 300  # the astronaut, in 640x480 frame pixels
    # core-data would accept it: a valid AddEventRequest (core-data.yaml), names matching the topic
    assert add_event_request_errors(result.request) == []
    assert add_event_request_errors({"apiVersion": "v3", "event": {"id": "x"}}) != []  # the check can fail
    assert result.topic.split("/")[-3:] == [event["profileName"], event["deviceName"], event["sourceName"]]
    put = next(r for r in core_command.requests if r.method == "PUT")
    assert put.path == PUT_PATH and json.loads(put.body) == {"Bool": "true"}
    assert core_command.values["Random-Boolean-Device"]["Bool"] == "true"
    note = notifications.notifications[0]
    assert (
        note["severity"] == "CRITICAL" and note["sender"] == "app-vision" and note["category"] == "security"
    )
    assert set(note["labels"]) >= {"person", "cam-1", "site-1"}
    assert core_command.invalid_requests == [] and notifications.invalid_requests == []
    alert = service.pipeline.view.alert(result.alert["alertId"])
    assert alert is not None and alert.snapshot
    assert wait_for(
        lambda: (
            {a.kind: a.outcome for a in service.pipeline.view.alert(alert.alert_id).actions}.get("command")  # type: ignore[union-attr]
            == "delivered"
        )
    )
    command = next(a for a in service.pipeline.view.alert(alert.alert_id).actions if a.kind == "command")  # type: ignore[union-attr]
    assert command.latency_ms is not None and command.latency_ms > 0


def test_frames_without_people_yield_nothing(
    start_service: ServiceFactory,
    plain: PlainMqtt,
    core_command: FakeCoreCommand,
    notifications: FakeSupportNotifications,
) -> None:
    service = start_service({**FAST, "Rules": [PERSON]})
    for photo in ("chelsea", "coffee", "chelsea", "coffee"):
        plain.frame("cam-1", photo)
    assert wait_for(lambda: service.metric("frame_to_result_seconds_count", camera="cam-1") >= 2, 10)
    time.sleep(1.0)
    assert plain.results == [] and puts(core_command) == 0 and notifications.notifications == []


def test_frame_to_result_time_is_broken_down_by_stage(
    start_service: ServiceFactory, plain: PlainMqtt
) -> None:
    """frame_stage_seconds accounts for each analysed frame: transport, queued, decode and
    inference add up to (nearly all of) its frame-to-result time; rules come after it."""
    service = start_service({**FAST, "Rules": [PERSON]})
    for count, photo in enumerate(("chelsea", "coffee", "astronaut", "camera"), 1):
        plain.frame("cam-1", photo)  # one at a time: the latest-frame slot keeps none waiting
        assert wait_for(
            lambda n=count: service.metric("frame_stage_seconds_count", camera="cam-1", stage="rules") >= n
        )
    frames = service.metric("frame_to_result_seconds_count", camera="cam-1")
    stages = ("transport", "queued", "decode", "inference", "rules")
    assert wait_for(
        lambda: all(
            service.metric("frame_stage_seconds_count", camera="cam-1", stage=s) == frames for s in stages
        )
    )
    spent = {s: service.metric("frame_stage_seconds_sum", camera="cam-1", stage=s) for s in stages}
    latency = service.metric("frame_to_result_seconds_sum", camera="cam-1")
    assert frames == 4 and spent["inference"] > 0 and spent["decode"] > 0 and spent["rules"] >= 0
    before_rules = sum(spent[s] for s in stages[:4])
    assert 0.8 * latency <= before_rules <= latency * 1.02 + 0.001, (spent, latency)


def test_cooldown_suppresses_a_repeat_and_the_alert_ends_after_its_quiet_period(
    start_service: ServiceFactory,
    plain: PlainMqtt,
    core_command: FakeCoreCommand,
) -> None:
    service = start_service({**FAST, "Rules": [PERSON]})
    started = time.monotonic()
    plain.frame("cam-1", "astronaut")
    assert wait_for(lambda: [r.state for r in plain.results_of("person")] == ["new"], 10)
    plain.frame("cam-1", "coffee")  # the person leaves: quiet from now on
    assert wait_for(lambda: [r.state for r in plain.results_of("person")] == ["new", "end"], 5)
    first_id = plain.results_of("person")[0].alert["alertId"]
    assert plain.results_of("person")[1].alert["alertId"] == first_id
    plain.frame("cam-1", "astronaut")  # back within the 4 s cooldown: suppressed
    assert wait_for(
        lambda: service.metric("alerts_total", rule="person", state="suppressed_cooldown") >= 1, 5
    )
    assert puts(core_command) == 1
    plain.frame("cam-1", "coffee")
    time.sleep(max(0.0, started + 4.5 - time.monotonic()))
    plain.frame("cam-1", "astronaut")  # after the cooldown: a new alert with a new id
    assert wait_for(
        lambda: (
            [r.state for r in plain.results_of("person")][-1:] == ["new"]
            and len(plain.results_of("person")) == 3
        ),
        5,
    )
    assert plain.results_of("person")[2].alert["alertId"] != first_id
    assert wait_for(lambda: puts(core_command) == 2, 5)


FUSION_PIR: dict[str, Any] = {
    "Name": "pir-person",
    "Detection": {"Labels": ["person"]},
    "CooldownS": 0,
    "EndAfterS": 1,
    "Trigger": {
        "Device": "pir-1",
        "Resource": "Motion",
        "Edge": "rising",
        "Camera": "cam-hall",
        "WindowS": 3,
    },
}
DOOR_NO_PERSON: dict[str, Any] = {
    "Name": "door-no-person",
    "Detection": {"Labels": ["person"]},
    "CooldownS": 0,
    "EndAfterS": 1,
    "Severity": "MINOR",
    "Trigger": {
        "Device": "door-1",
        "Resource": "Open",
        "Camera": "cam-door",
        "WindowS": 1.5,
        "Expect": "absent",
    },
}


def test_pir_edge_plus_person_gives_an_alert(
    start_service: ServiceFactory,
    plain: PlainMqtt,
) -> None:
    start_service({**FAST, "Rules": [FUSION_PIR]})
    plain.frame("cam-hall", "astronaut")  # before the edge: no window, no alert
    time.sleep(1.0)
    assert plain.results_of("pir-person") == []
    plain.bool("pir-1", "Motion", True)
    plain.frame("cam-hall", "camera")
    assert wait_for(lambda: plain.results_of("pir-person"), 5)
    alert = plain.results_of("pir-person")[0].alert
    assert "pir-1/Motion rising" in alert["summary"]


def test_door_open_and_no_person_fires_the_no_person_rule(
    start_service: ServiceFactory,
    plain: PlainMqtt,
) -> None:
    start_service({**FAST, "Rules": [DOOR_NO_PERSON]})
    plain.bool("door-1", "Open", True)
    plain.frame("cam-door", "coffee")
    assert wait_for(lambda: plain.results_of("door-no-person"), 5)
    alert = plain.results_of("door-no-person")[0].alert
    assert alert["summary"] == "no person seen by cam-door within 1.5 s of door-1/Open rising"
    assert alert["severity"] == "MINOR"
    # and with a person in the window, the negation stays quiet
    plain.bool("door-1", "Open", False)
    plain.bool("door-1", "Open", True)
    plain.frame("cam-door", "astronaut")
    time.sleep(2.5)
    assert [r.state for r in plain.results_of("door-no-person")].count("new") == 1


def test_queued_commands_survive_a_restart_and_are_delivered_exactly_once(
    start_service: ServiceFactory,
    plain: PlainMqtt,
    core_command: FakeCoreCommand,
) -> None:
    rule = {**PERSON, "Cameras": [], "Actions": {"Command": PERSON["Actions"]["Command"]}}
    core_command.set_down(True)
    first = start_service({**FAST, "Rules": [rule]})
    for camera in ("cam-a", "cam-b", "cam-c"):
        plain.frame(camera, "astronaut")
    assert wait_for(lambda: first.pipeline.view.outbox_counts()["pending"] == 3, 10)
    assert wait_for(
        lambda: all(
            a.outcome == "retrying"
            for alert in first.pipeline.view.active_alerts()
            for a in alert.actions
            if a.kind == "command"
        ),
        5,
    )
    first.stop()  # the service restarts while core-command is still down
    second = start_service({**FAST, "Rules": [rule]})
    assert second.pipeline.view.outbox_counts()["pending"] == 3
    core_command.set_down(False)
    assert wait_for(lambda: puts(core_command) == 3, 10)
    time.sleep(1.5)  # nothing more arrives
    assert puts(core_command) == 3
    # 3 commands, 3 "new" events from before the restart, and the "end" event of each of the three
    # alerts: resumed from disk, they end after their quiet period under their own ids
    assert wait_for(lambda: second.pipeline.view.outbox_counts()["delivered"] == 9, 5)
    assert second.pipeline.view.outbox_counts() == {"pending": 0, "delivered": 9, "dead": 0}
    assert wait_for(lambda: len(plain.results_of("person")) == 6, 5)
    states: dict[str, list[str]] = {}
    for result in plain.results_of("person"):
        states.setdefault(str(result.alert["alertId"]), []).append(result.state)
    assert sorted(states.values()) == [["new", "end"]] * 3
    assert core_command.invalid_requests == []
