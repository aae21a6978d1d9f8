"""plan_actions: the outbox rows of an alert change, per transition and rule."""

from __future__ import annotations

import json

import pytest

from service.pipeline.actions.plan import plan_actions
from tests.unit.pipeline.actions.support import RULE, change


def test_a_new_alert_queues_event_command_and_notification() -> None:
    planned = plan_actions(change(), RULE, "Alert", "a-1.jpg")
    assert [(p.key, p.kind) for p in planned] == [
        ("a-1/0/event", "event"),
        ("a-1/0/command", "command"),
        ("a-1/0/notification", "notification"),
    ]
    command = json.loads(planned[1].payload)
    assert command == {"device": "light", "command": "Switch", "body": {"SwitchButton": "true"}}
    note = json.loads(planned[2].payload)
    assert note["labels"] == ["door-person", "cam", "site-1", "person"]
    assert note["severity"] == "CRITICAL" and note["category"] == "security"
    event = json.loads(planned[0].payload)
    assert event["snapshot"] == ""  # the image stays on the box unless AttachSnapshot
    assert event["detections"][0] == {
        "label": "person",
        "score": 0.91,
        "box": [10.0, 20.0, 110.0, 320.0],
        "zone": "door",
        "zones": ["door"],
        "camera": "cam",
        "alertId": "a-1",
        "rule": "door-person",
        "model": "person",
        "latencyMs": 42.0,
        "trackId": 3,
        "stationary": False,
    }


@pytest.mark.parametrize(("transition", "kinds"), [("update", ["event"]), ("end", ["event"])])
def test_updates_and_ends_only_publish_events(transition: str, kinds: list[str]) -> None:
    planned = plan_actions(change(transition, 1), RULE, "Alert", "")
    assert [p.kind for p in planned] == kinds and planned[0].key == "a-1/1/event"


def test_no_result_event_when_the_rule_says_so() -> None:
    rule = RULE.model_copy(update={"Actions": RULE.Actions.model_copy(update={"ResultEvent": False})})
    assert [p.kind for p in plan_actions(change(), rule, "Alert", "")] == ["command", "notification"]
