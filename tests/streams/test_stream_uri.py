"""Stream URIs asked of EdgeX through core-command (the spec-validating fake): device-onvif-camera's
StreamUri (Object reading, jsonObject query) and device-usb-camera's StreamURI / StartStreaming."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from service.edgex.clients import HttpPeer, PeerSettings
from service.edgex.commands import CommandResult, RestCommandClient
from service.edgex.errors import PeerUnavailable
from service.edgex.event_types import JsonValue
from service.edgex.stream_uri import (
    MissingStreamUriReading,
    NoStreamUri,
    StreamUriRejected,
    StreamUriValueTypeError,
    onvif_stream_uri,
    start_usb_streaming,
    usb_stream_uri,
)
from tests.fakes import FakeCommand, FakeCoreCommand, FakeDevice

ONVIF_URI = "rtsp://192.168.1.20:554/stream1"
USB_URI = "rtsp://edgex-device-usb-camera:8554/stream/usb-1"


class CameraCoreCommand(FakeCoreCommand):
    """The fake, answering Object readings as EdgeX does (objectValue); their values are kept as
    JSON text."""

    def _event(self, device: FakeDevice, command: FakeCommand) -> dict[str, Any]:
        event = super()._event(device, command)
        for reading in event["readings"]:
            if reading["valueType"] == "Object":
                reading["objectValue"] = json.loads(reading.pop("value"))
        return event


def _media_uri(uri: str) -> str:
    return json.dumps({"MediaUri": {"Uri": uri, "InvalidAfterConnect": False, "Timeout": "PT0S"}})


def camera_devices() -> list[FakeDevice]:
    onvif = FakeDevice(
        "onvif-1",
        "onvif-camera",
        (FakeCommand("StreamUri", True, False, (("StreamUri", "Object"),)),),
        {"StreamUri": _media_uri(ONVIF_URI)},
    )
    usb = FakeDevice(
        "usb-1",
        "USB-Camera-General",
        (FakeCommand("StreamURI", True, False, (("StreamURI", "String"),)),),
        {"StreamURI": USB_URI},
    )
    odd = FakeDevice(
        "odd-1",
        "odd-camera",
        (
            FakeCommand("StreamUri", True, False, (("StreamUri", "String"),)),  # wrong type
            FakeCommand("StreamURI", True, False, (("Status", "String"),)),  # another resource
        ),
        {"StreamUri": ONVIF_URI, "Status": "ok"},
    )
    return [onvif, usb, odd]


@pytest.fixture
def core_command() -> Iterator[CameraCoreCommand]:
    with CameraCoreCommand(camera_devices()) as fake:
        yield fake


@pytest.fixture
def client(core_command: CameraCoreCommand) -> RestCommandClient:
    return RestCommandClient(
        HttpPeer(PeerSettings("core-command", "127.0.0.1", core_command.port, timeout_s=2))
    )


def test_onvif_stream_uri_sends_the_stream_setup(
    core_command: CameraCoreCommand, client: RestCommandClient
) -> None:
    assert onvif_stream_uri(client, "onvif-1", "profile_2") == ONVIF_URI
    (request,) = core_command.requests
    assert request.path == "/api/v3/device/name/onvif-1/StreamUri"
    assert json.loads(base64.b64decode(request.query["jsonObject"])) == {
        "StreamSetup": {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}},
        "ProfileToken": "profile_2",
    }
    assert core_command.invalid_requests == [] and core_command.response_errors == []


def test_usb_stream_uri(core_command: CameraCoreCommand, client: RestCommandClient) -> None:
    assert usb_stream_uri(client, "usb-1") == USB_URI
    (request,) = core_command.requests
    assert request.path == "/api/v3/device/name/usb-1/StreamURI"
    assert core_command.invalid_requests == [] and core_command.response_errors == []


class RecordingCommands:
    """A CommandClient that records set commands and answers them with `reply`.

    StartStreaming's setting is an object, as device-usb-camera documents and core-command accepts;
    the OpenAPI file behind FakeCoreCommand types settings as strings (against its own example), so
    the set side is checked here instead."""

    def __init__(self, reply: CommandResult) -> None:
        self.reply = reply
        self.sets: list[tuple[str, str, dict[str, Any]]] = []

    def get(self, device: str, command: str, **_kwargs: Any) -> CommandResult:
        raise AssertionError("no get expected")

    def set(self, device: str, command: str, settings: Mapping[str, JsonValue]) -> CommandResult:
        self.sets.append((device, command, dict(settings)))
        return self.reply


def test_usb_start_streaming_sends_the_options() -> None:
    commands = RecordingCommands(CommandResult(True, 200, "", 0.01))
    start_usb_streaming(commands, "usb-1", {"InputImageSize": "640x480", "OutputVideoQuality": "5"})
    assert commands.sets == [
        (
            "usb-1",
            "StartStreaming",
            {"StartStreaming": {"InputImageSize": "640x480", "OutputVideoQuality": "5"}},
        )
    ]


def test_usb_start_streaming_refused() -> None:
    commands = RecordingCommands(CommandResult(False, 423, "device locked", 0.01))
    with pytest.raises(StreamUriRejected, match="device locked") as raised:
        start_usb_streaming(commands, "usb-1")
    assert raised.value.status == 423 and commands.sets[0][2] == {"StartStreaming": {}}


@pytest.mark.parametrize(
    ("call", "value", "error", "message"),
    [
        ("onvif", _media_uri(""), NoStreamUri, "no MediaUri.Uri"),
        ("onvif", json.dumps({"Profile": "x"}), NoStreamUri, "no MediaUri.Uri"),
        ("usb", "  ", NoStreamUri, "the reading is empty"),
        ("odd-onvif", None, StreamUriValueTypeError, "is String, expected Object"),
        ("odd-usb", None, MissingStreamUriReading, "no StreamURI reading in the reply (readings: Status)"),
        ("unknown", None, StreamUriRejected, "refused (404)"),
    ],
)
def test_errors(
    core_command: CameraCoreCommand,
    client: RestCommandClient,
    call: str,
    value: str | None,
    error: type[Exception],
    message: str,
) -> None:
    if value is not None:
        device, resource = ("onvif-1", "StreamUri") if call == "onvif" else ("usb-1", "StreamURI")
        core_command.values[device][resource] = value
    calls = {
        "onvif": lambda: onvif_stream_uri(client, "onvif-1"),
        "usb": lambda: usb_stream_uri(client, "usb-1"),
        "odd-onvif": lambda: onvif_stream_uri(client, "odd-1"),
        "odd-usb": lambda: usb_stream_uri(client, "odd-1"),
        "unknown": lambda: usb_stream_uri(client, "no-such-camera"),
    }
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        calls[call]()


def test_device_service_refusal_is_rejected(
    core_command: CameraCoreCommand, client: RestCommandClient
) -> None:
    core_command.fail_next(423, "device locked")
    with pytest.raises(StreamUriRejected, match="device locked") as raised:
        onvif_stream_uri(client, "onvif-1")
    assert raised.value.status == 423


def test_core_command_down_stays_unavailable(
    core_command: CameraCoreCommand, client: RestCommandClient
) -> None:
    core_command.set_down(True)
    with pytest.raises(PeerUnavailable):
        onvif_stream_uri(client, "onvif-1")
