"""core-command clients: REST against the spec-validating fake, bus against the memory bus
answered with the real captured core-command replies."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from service.edgex.bus.memory import MemoryBus
from service.edgex.clients import HttpPeer, PeerSettings
from service.edgex.commands import BusCommandClient, BusCommandSettings, RestCommandClient
from service.edgex.devices import DeviceCommandsClient, device_core_command_from_json
from service.edgex.envelope import EnvelopeForm, MessageEnvelope, decode_envelope
from service.edgex.errors import PeerRejected, PeerUnavailable
from service.edgex.wire_format import WireFormat
from tests.fakes import TINY_JPEG, FakeCoreCommand


@pytest.fixture
def core_command() -> Iterator[FakeCoreCommand]:
    with FakeCoreCommand() as fake:
        yield fake


def _peer(fake: FakeCoreCommand, timeout_s: float = 2.0) -> HttpPeer:
    return HttpPeer(PeerSettings("core-command", "127.0.0.1", fake.port, timeout_s=timeout_s))


def test_rest_set_and_get(core_command: FakeCoreCommand) -> None:
    client = RestCommandClient(_peer(core_command))
    result = client.set("Random-Boolean-Device", "WriteBoolValue", {"Bool": "false"})
    assert result.ok and result.status == 200 and result.event is None and result.latency_s > 0
    assert core_command.values["Random-Boolean-Device"]["Bool"] == "false"
    got = client.get("Random-Boolean-Device", "Bool")
    assert got.ok and got.event is not None and got.event.readings[0].as_bool() is False
    put, get = core_command.requests
    assert put.json == {"Bool": "false"} and put.headers["X-Correlation-ID"] == result.correlation_id
    assert get.query == {"ds-pushevent": "false", "ds-returnevent": "true"}
    assert core_command.invalid_requests == [] and core_command.response_errors == []
    assert core_command.count_by_correlation_id() == {result.correlation_id: 1, got.correlation_id: 1}


def test_rest_get_binary_snapshot_push_and_no_return(core_command: FakeCoreCommand) -> None:
    client = RestCommandClient(_peer(core_command))
    snap = client.get("camera-01", "Snapshot")
    assert snap.event is not None
    reading = snap.event.readings[0]
    assert (reading.value_type, reading.media_type, reading.binary_value) == (
        "Binary",
        "image/jpeg",
        TINY_JPEG,
    )
    quiet = client.get("camera-01", "Snapshot", push_event=True, return_event=False)
    assert quiet.ok and quiet.event is None and len(core_command.pushed_events) == 1


@pytest.mark.parametrize(
    ("device", "command", "status", "text"),
    [
        ("No-Such", "Bool", 404, "No-Such"),
        ("Random-Boolean-Device", "Nope", 404, "Nope"),
        ("camera-01", "Snapshot", 405, "not writable"),
    ],
)
def test_rest_rejections_are_results(
    core_command: FakeCoreCommand, device: str, command: str, status: int, text: str
) -> None:
    result = RestCommandClient(_peer(core_command)).set(device, command, {"Snapshot": "x"})
    assert not result.ok and result.status == status and text in result.message


def test_rest_non_string_setting_is_rejected_by_the_spec(core_command: FakeCoreCommand) -> None:
    result = RestCommandClient(_peer(core_command)).set("Random-Boolean-Device", "Bool", {"Bool": True})
    assert not result.ok and result.status == 400
    assert core_command.invalid_requests[0].json == {"Bool": True}


@pytest.mark.parametrize("mode", ["refuse", "503"])
def test_rest_peer_down_raises_unavailable_then_recovers(core_command: FakeCoreCommand, mode: Any) -> None:
    client = RestCommandClient(_peer(core_command))
    assert client.get("camera-01", "Alarm").ok
    core_command.set_down(True, mode)
    with pytest.raises(PeerUnavailable):
        client.get("camera-01", "Alarm")
    core_command.set_down(False)
    assert client.get("camera-01", "Alarm").ok


def test_rest_injected_failure(core_command: FakeCoreCommand) -> None:
    core_command.fail_next(423, "device locked")
    result = RestCommandClient(_peer(core_command)).get("camera-01", "Alarm")
    assert (result.ok, result.status, result.message) == (False, 423, "device locked")


def test_device_commands_and_snapshot_detection(core_command: FakeCoreCommand) -> None:
    devices = DeviceCommandsClient(_peer(core_command))
    camera = devices.device("camera-01")
    snapshot = camera.snapshot_command()
    assert snapshot is not None and snapshot.name == "Snapshot" and snapshot.returns_binary
    assert devices.device("Random-Boolean-Device").snapshot_command() is None
    assert {d.device_name for d in devices.devices()} == {"camera-01", "Random-Boolean-Device"}
    with pytest.raises(PeerRejected) as err:
        devices.device("ghost")
    assert err.value.status == 404 and "ghost" in err.value.message


def test_device_commands_capture(rest_captures: dict[str, Any]) -> None:
    dcc = device_core_command_from_json(
        rest_captures["rest-core-command-device-commands"]["deviceCoreCommand"]
    )
    assert dcc.device_name == "Random-Boolean-Device"
    assert [c.name for c in dcc.core_commands] == [
        "WriteBoolValue",
        "WriteBoolArrayValue",
        "Bool",
        "BoolArray",
    ]
    write = dcc.command("WriteBoolValue")
    assert write is not None and write.set and not write.get
    assert [p.resource_name for p in write.parameters] == ["Bool", "EnableRandomization_Bool"]
    assert dcc.snapshot_command() is None


class CaptureReplayer:
    """Plays core-command on the memory bus: answers each request with the captured reply for it."""

    def __init__(self, bus: MemoryBus, captures: dict[str, Any], reply_name: str) -> None:
        self.bus, self.reply = bus, json.loads(captures[reply_name].data)
        self.requests: list[tuple[str, MessageEnvelope]] = []
        bus.subscribe(["edgex/core/command/request/#"], self.on_request, lambda _t, exc: None)

    def on_request(self, topic: str, env: MessageEnvelope) -> None:
        self.requests.append((topic, env))
        reply = dict(self.reply, requestID=env.request_id, correlationID=env.correlation_id)
        if isinstance(reply["payload"], dict):
            reply["payload"] = dict(reply["payload"], requestId=env.request_id)
        self.bus.publish_raw(f"edgex/response/core-command/{env.request_id}", json.dumps(reply).encode())


@pytest.fixture
def memory_bus() -> Iterator[MemoryBus]:
    bus = MemoryBus(WireFormat(form=EnvelopeForm.NESTED_JSON))
    bus.connect()
    yield bus
    bus.close()


def test_bus_get_with_captured_reply(memory_bus: MemoryBus, captures: dict[str, Any]) -> None:
    replayer = CaptureReplayer(memory_bus, captures, "command-Bool_get_nested_reply")
    client = BusCommandClient(memory_bus, BusCommandSettings(timeout_s=2.0))
    result = client.get("Random-Boolean-Device", "Bool")
    assert result.ok and result.status == 200 and result.event is not None
    assert result.event.readings[0].as_bool() is True
    topic, sent = replayer.requests[0]
    assert topic == captures["command-Bool_get_nested_request"].topic
    expected = decode_envelope(captures["command-Bool_get_nested_request"].data)
    assert dict(sent.query_params) == dict(expected.query_params) and sent.payload is None
    assert len(sent.request_id) == 36 and sent.request_id != sent.correlation_id


def test_bus_set_with_captured_null_reply(memory_bus: MemoryBus, captures: dict[str, Any]) -> None:
    replayer = CaptureReplayer(memory_bus, captures, "command-WriteBoolValue_set_nested_reply")
    client = BusCommandClient(memory_bus, BusCommandSettings(timeout_s=2.0))
    result = client.set(
        "Random-Boolean-Device", "WriteBoolValue", {"Bool": "true", "EnableRandomization_Bool": "false"}
    )
    assert result.ok and result.event is None
    topic, sent = replayer.requests[0]
    assert topic == captures["command-WriteBoolValue_set_nested_request"].topic
    assert sent.payload == decode_envelope(captures["command-WriteBoolValue_set_nested_request"].data).payload


@pytest.mark.parametrize(
    ("reply", "status", "text"),
    [
        ("command-err_nodevice_reply", 404, "No-Such-Device"),
        ("command-err_nocmd_reply", 500, "NoSuchCmd"),
        ("command-err_badval_reply", 500, "notabool"),
    ],
)
def test_bus_error_replies_are_results(
    memory_bus: MemoryBus, captures: dict[str, Any], reply: str, status: int, text: str
) -> None:
    CaptureReplayer(memory_bus, captures, reply)
    result = BusCommandClient(memory_bus, BusCommandSettings(timeout_s=2.0)).get("No-Such-Device", "Bool")
    assert not result.ok and result.status == status and text in result.message


def test_bus_timeout_is_unavailable(memory_bus: MemoryBus) -> None:
    client = BusCommandClient(memory_bus, BusCommandSettings(timeout_s=0.2))
    with pytest.raises(PeerUnavailable):
        client.get("Random-Boolean-Device", "Bool")
