"""Action senders: a fresh result event per attempt, command and notification outcomes, corrupt rows."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from service.edgex.bus import MemoryBus
from service.edgex.dtos import AddEventRequest
from service.edgex.envelope import MessageEnvelope, event_from_envelope
from service.edgex.topics import parse_event_topic
from service.edgex.wire_format import WireFormat
from service.pipeline.actions.outbox import OutboxItem
from service.pipeline.actions.plan import plan_actions
from service.pipeline.actions.senders import ActionSenders, SenderDeps
from service.pipeline.errors import ActionError, PermanentActionError
from service.pipeline.settings import SnapshotSettings
from service.pipeline.state.snapshot_store import SnapshotStore
from tests.unit.pipeline.actions.support import RULE, change
from tests.unit.pipeline.support import StubCommands, StubNotifications, wait_for


def item(kind: str, payload: dict[str, Any]) -> OutboxItem:
    return OutboxItem(
        1, f"a-1/0/{kind}", kind, "a-1", json.dumps(payload), "pending", 0, 0.0, 0.0, "", None, None, ""
    )


def senders(
    tmp_path: Path, bus: MemoryBus, commands: StubCommands, notes: StubNotifications
) -> ActionSenders:
    store = SnapshotStore(tmp_path, SnapshotSettings())
    store.save("a-1", b"\xff\xd8fake-jpeg")
    return ActionSenders(SenderDeps(bus, WireFormat(), "edgex", commands, notes, store))


def test_event_sender_publishes_a_fresh_event_each_attempt(tmp_path: Path) -> None:
    bus = MemoryBus(WireFormat())
    got: list[tuple[str, MessageEnvelope]] = []
    bus.subscribe(["edgex/events/#"], lambda topic, env: got.append((topic, env)), lambda *_: None)
    send = senders(tmp_path, bus, StubCommands(), StubNotifications())
    planned = plan_actions(
        change(),
        RULE.model_copy(update={"Actions": RULE.Actions.model_copy(update={"AttachSnapshot": True})}),
        "Alert",
        "a-1.jpg",
    )[0]
    event_item = item("event", json.loads(planned.payload))
    with pytest.raises(ActionError, match="bus unavailable"):
        send.send_event(event_item)
    bus.connect()
    ids = [send.send_event(event_item), send.send_event(event_item)]
    assert wait_for(lambda: len(got) == 2)
    bus.close()
    assert ids[0] != ids[1]
    topic, envelope = got[0]
    req: AddEventRequest = event_from_envelope(envelope)
    names = parse_event_topic(topic)
    assert (names.service, names.profile, names.device, names.source) == (
        "app-vision",
        "app-vision-result",
        "app-vision",
        "Alert",
    )
    assert (req.event.profile_name, req.event.device_name, req.event.source_name) == (
        "app-vision-result",
        "app-vision",
        "Alert",
    )
    assert envelope.media_type == "application/cbor"  # it carries the Binary snapshot
    readings = {r.resource_name: r for r in req.event.readings}
    assert readings["AlertState"].value == "new"
    assert readings["Snapshot"].binary_value == b"\xff\xd8fake-jpeg"
    detection = readings["Detection"].object_value
    assert isinstance(detection, dict) and detection["label"] == "person"


def test_the_result_event_carries_the_frame_messages_correlation_id(tmp_path: Path) -> None:
    bus = MemoryBus(WireFormat())
    got: list[MessageEnvelope] = []
    bus.subscribe(["edgex/events/#"], lambda _topic, env: got.append(env), lambda *_: None)
    bus.connect()
    send = senders(tmp_path, bus, StubCommands(), StubNotifications())
    framed = change()
    assert framed.frame is not None
    framed = replace(framed, frame=replace(framed.frame, correlation_id="corr-42"))
    for source in (framed, replace(framed, frame=None)):  # no frame (sensor, tick): a fresh id
        planned = plan_actions(source, RULE, "Alert", "")[0]
        send.send_event(item("event", json.loads(planned.payload)))
    assert wait_for(lambda: len(got) == 2)
    bus.close()
    assert got[0].correlation_id == "corr-42"
    assert got[1].correlation_id not in {"", "corr-42"}


def test_command_sender_outcomes(tmp_path: Path) -> None:
    commands = StubCommands()
    send = senders(tmp_path, MemoryBus(WireFormat()), commands, StubNotifications())
    payload = {"device": "light", "command": "Switch", "body": {"SwitchButton": "true"}}
    assert send.send_command(item("command", payload)).startswith("200")
    assert commands.sets == [("light", "Switch", {"SwitchButton": "true"})]
    commands.down = True
    with pytest.raises(ActionError):
        send.send_command(item("command", payload))
    commands.down, commands.status = False, 404
    with pytest.raises(PermanentActionError, match="404"):
        send.send_command(item("command", payload))
    commands.status = 503
    with pytest.raises(ActionError) as info:
        send.send_command(item("command", payload))
    assert not isinstance(info.value, PermanentActionError)


def test_notification_sender_outcomes(tmp_path: Path) -> None:
    notes = StubNotifications()
    send = senders(tmp_path, MemoryBus(WireFormat()), StubCommands(), notes)
    payload = json.loads(plan_actions(change(), RULE, "Alert", "")[2].payload)
    assert send.send_notification(item("notification", payload)) == "n-1"
    sent = notes.sent[0]
    assert (sent.severity, sent.category, sent.sender) == ("CRITICAL", "security", "app-vision")
    assert sent.request_id == payload["requestId"]
    notes.down = True
    with pytest.raises(ActionError):
        send.send_notification(item("notification", payload))
    notes.down, notes.reject = False, 400
    with pytest.raises(PermanentActionError):
        send.send_notification(item("notification", payload))


def test_corrupt_payloads_are_permanent(tmp_path: Path) -> None:
    send = senders(tmp_path, MemoryBus(WireFormat()), StubCommands(), StubNotifications())
    bad = OutboxItem(1, "k", "command", "a", "not json", "pending", 0, 0, 0, "", None, None, "")
    with pytest.raises(PermanentActionError):
        send.send_command(bad)


@pytest.mark.parametrize("kind", ["event", "command", "notification"])
@pytest.mark.parametrize("text", ["not json", "[]", "{}", '{"device": "light"}'])
def test_every_sender_dead_letters_a_corrupt_row(tmp_path: Path, kind: str, text: str) -> None:
    send = senders(tmp_path, MemoryBus(WireFormat()), StubCommands(), StubNotifications())
    bad = OutboxItem(1, f"a-1/0/{kind}", kind, "a-1", text, "pending", 0, 0, 0, "", None, None, "")
    with pytest.raises(PermanentActionError, match=r"^corrupt outbox payload: "):
        send.by_kind[kind](bad)
