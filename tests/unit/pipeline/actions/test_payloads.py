"""Outbox payloads: rows the previous version wrote (json.dumps of dicts) still read; corrupt ones die."""

from __future__ import annotations

import json

import pytest

from service.pipeline.actions.payloads import (
    CommandPayload,
    EventPayload,
    NotificationPayload,
    read_payload,
    write_payload,
)
from service.pipeline.actions.plan import plan_actions
from service.pipeline.actions.result_event import build_result_request
from service.pipeline.errors import PermanentActionError
from tests.unit.pipeline.actions.support import RULE, change

# Written by the dict-building version for support.change() with AttachSnapshot (json.dumps).
OLD_EVENT = (
    '{"source": "Alert", "state": "new", "alert": {"alertId": "a-1", "state": "new", "sequence": 0, '
    '"rule": "door-person", "camera": "cam", "severity": "CRITICAL", "summary": "1 person seen by cam", '
    '"model": "person", "startedAt": 100000000000, "updatedAt": 100000000000, "endedAt": null, '
    '"updates": 0, "detectionCount": 1, "latencyMs": 42.0, "frameEventId": "frame-event", '
    '"frameOrigin": 99950000000}, "detections": [{"label": "person", "score": 0.91, '
    '"box": [10.0, 20.0, 110.0, 320.0], "zone": "door", "zones": ["door"], "camera": "cam", '
    '"alertId": "a-1", "rule": "door-person", "model": "person", "latencyMs": 42.0, "trackId": 3, '
    '"stationary": false}], "snapshot": "a-1.jpg"}'
)
OLD_COMMAND = '{"device": "light", "command": "Switch", "body": {"SwitchButton": "true"}}'
OLD_NOTIFICATION = (
    '{"category": "security", "labels": ["door-person", "cam", "site-1", "person"], '
    '"severity": "CRITICAL", "content": "1 person seen by cam", '
    '"description": "app-vision alert a-1 (door-person)", '
    '"requestId": "66bd8be8-1a27-5872-985b-cebc081acd4f"}'
)
OLD_ROWS = [(EventPayload, OLD_EVENT), (CommandPayload, OLD_COMMAND), (NotificationPayload, OLD_NOTIFICATION)]
ATTACH = RULE.model_copy(update={"Actions": RULE.Actions.model_copy(update={"AttachSnapshot": True})})


@pytest.mark.parametrize(("model", "old"), OLD_ROWS, ids=["event", "command", "notification"])
def test_an_old_row_reads_and_writes_back_the_same_json(
    model: type[EventPayload | CommandPayload | NotificationPayload], old: str
) -> None:
    payload = read_payload(model, old)
    assert isinstance(payload, model)
    assert json.loads(write_payload(payload)) == json.loads(old)


def test_todays_rows_mean_what_the_old_ones_meant() -> None:
    planned = plan_actions(change(), ATTACH, "Alert", "a-1.jpg")
    assert [json.loads(p.payload) for p in planned] == [json.loads(old) for _, old in OLD_ROWS]


def test_an_old_event_row_publishes_its_stored_objects() -> None:
    stored = json.loads(OLD_EVENT)
    req = build_result_request(read_payload(EventPayload, OLD_EVENT), None)
    readings = [(r.resource_name, r.value_type, r.value or r.object_value) for r in req.event.readings]
    assert readings == [
        ("AlertState", "String", "new"),
        ("Alert", "Object", stored["alert"]),
        ("Detection", "Object", stored["detections"][0]),
    ]
    assert req.event.source_name == "Alert"


def test_payloads_are_frozen() -> None:
    payload = read_payload(CommandPayload, OLD_COMMAND)
    with pytest.raises(ValueError, match="frozen"):
        payload.device = "other"  # type: ignore[misc]
    assert payload.settings() == {"SwitchButton": "true"} and payload.settings() is not payload.body


@pytest.mark.parametrize(
    ("model", "text", "reason"),
    [
        (CommandPayload, "not json", "Invalid JSON"),
        (CommandPayload, "[1, 2]", "payload: Input should be an object"),
        (CommandPayload, '{"device": "light", "command": "Switch"}', "body: Field required"),
        (CommandPayload, '{"device": "light", "command": "Switch", "body": [1]}', "body: Input should be"),
        (NotificationPayload, OLD_NOTIFICATION.replace('"content"', '"contents"'), "content: Field required"),
        (NotificationPayload, OLD_NOTIFICATION.replace('["door-person"', "[7"), "labels.0: Input should be"),
        (EventPayload, OLD_EVENT.replace('"state": "new"', '"state": "gone"', 1), "state: Input should be"),
        (EventPayload, OLD_EVENT.replace('"zone": "door"', '"zone": "door", "extra": 1'), "extra: Extra"),
        (EventPayload, OLD_EVENT.replace('"trackId": 3', '"trackId": "x"'), "detections.0.trackId"),
    ],
)
def test_a_corrupt_row_is_a_permanent_error(
    model: type[EventPayload | CommandPayload | NotificationPayload], text: str, reason: str
) -> None:
    with pytest.raises(PermanentActionError, match=r"^corrupt outbox payload: ") as info:
        read_payload(model, text)
    assert reason in str(info.value) and "\n" not in str(info.value)
