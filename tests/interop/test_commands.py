"""app-vision's bus command client against a core-command stand-in made of EdgeX's envelope code.

The Go responder subscribes `edgex/core/command/request/#` with go-mod-messaging and answers on
`edgex/response/core-command/<requestID>` as device-sdk-go v4 does (core-command forwards that reply
unchanged): get -> EventResponse via NewMessageEnvelopeForResponse (CBOR when Binary), set -> the
request payload decoded with GetMsgPayload[map[string]any] and a null reply, failures ->
NewMessageEnvelopeWithError. It is NOT core-command: device lookup and error texts are re-implemented.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.edgex.commands import BusCommandClient, BusCommandSettings, CommandResult
from service.edgex.dtos import JsonValue
from service.edgex.envelope import EnvelopeForm
from tests.interop.conftest import BusFactory
from tests.interop.peer import Json, Peer, PeerProcess
from tests.interop.samples import write_jpeg

pytestmark = pytest.mark.interop

FORMS = list(EnvelopeForm)
DEVICE = "Camera-1"


@pytest.fixture
def jpeg(tmp_path: Path) -> tuple[Path, bytes]:
    return write_jpeg(tmp_path)


@pytest.fixture
def responder(peer: Peer, jpeg: tuple[Path, bytes], request: pytest.FixtureRequest) -> Iterator[PeerProcess]:
    form: EnvelopeForm = request.param
    args = [
        "-devices",
        f"{DEVICE},Light-1",
        "-profile",
        "camera-profile",
        "-image-command",
        "Snapshot",
        "-image",
        str(jpeg[0]),
        "-count",
        "10",
        "-timeout",
        "30s",
    ]
    yield peer.start("command-responder", args, form)


def _client(app_bus: BusFactory, form: EnvelopeForm) -> BusCommandClient:
    return BusCommandClient(app_bus(form), BusCommandSettings(base_topic="edgex", timeout_s=5.0))


def _asked(responder: PeerProcess, result: CommandResult, topic: str) -> Json:
    """The responder's record of the request behind `result`, checked against app-vision's side."""
    asked = responder.next()
    assert asked.get("topic") == topic, asked
    assert asked["apiVersion"] == "v3"
    assert asked["correlationID"] == result.correlation_id
    uuid.UUID(asked["requestID"])
    assert asked["contentType"] in ("application/json", "application/cbor")
    return asked


@pytest.mark.parametrize("responder", FORMS, indirect=True, ids=lambda f: f.value)
def test_get_returns_the_edgex_event(
    responder: PeerProcess, app_bus: BusFactory, request: pytest.FixtureRequest
) -> None:
    form: EnvelopeForm = request.node.callspec.params["responder"]
    result = _client(app_bus, form).get(DEVICE, "Motion")
    asked = _asked(responder, result, f"edgex/core/command/request/{DEVICE}/Motion/get")
    assert asked["reply"] == "ok", asked
    assert asked["queryParams"] == {"ds-pushevent": "false", "ds-returnevent": "true"}
    assert (result.ok, result.status, result.message) == (True, 200, "")
    assert result.event is not None
    sent = asked["event"]
    assert (
        result.event.id,
        result.event.device_name,
        result.event.profile_name,
        result.event.source_name,
    ) == (sent["id"], DEVICE, "camera-profile", "Motion")
    # core-command's forwarding hop rounds a nested-JSON origin through float64 (see the captures)
    tolerance = 256 if form is EnvelopeForm.NESTED_JSON else 0
    assert abs(result.event.origin - sent["origin"]) <= tolerance
    (reading,) = result.event.readings
    assert (reading.resource_name, reading.value_type, reading.as_bool()) == ("Motion", "Bool", True)


@pytest.mark.parametrize("responder", FORMS, indirect=True, ids=lambda f: f.value)
def test_get_of_binary_image_decodes_cbor_event_response(
    responder: PeerProcess, app_bus: BusFactory, jpeg: tuple[Path, bytes], request: pytest.FixtureRequest
) -> None:
    form: EnvelopeForm = request.node.callspec.params["responder"]
    result = _client(app_bus, form).get(DEVICE, "Snapshot")
    asked = _asked(responder, result, f"edgex/core/command/request/{DEVICE}/Snapshot/get")
    assert asked["replyContentType"] == "application/cbor"
    assert result.ok and result.event is not None, result
    assert result.event.origin == asked["event"]["origin"]
    (reading,) = result.event.readings
    assert (reading.value_type, reading.media_type, reading.binary_value) == ("Binary", "image/jpeg", jpeg[1])


@pytest.mark.parametrize("responder", FORMS, indirect=True, ids=lambda f: f.value)
def test_get_without_returned_event(
    responder: PeerProcess, app_bus: BusFactory, request: pytest.FixtureRequest
) -> None:
    form: EnvelopeForm = request.node.callspec.params["responder"]
    result = _client(app_bus, form).get(DEVICE, "Motion", push_event=True, return_event=False)
    asked = _asked(responder, result, f"edgex/core/command/request/{DEVICE}/Motion/get")
    assert asked["queryParams"] == {"ds-pushevent": "true", "ds-returnevent": "false"}
    assert (result.ok, result.status, result.event) == (True, 200, None)


@pytest.mark.parametrize("responder", FORMS, indirect=True, ids=lambda f: f.value)
def test_set_payload_is_what_edgex_decodes(
    responder: PeerProcess, app_bus: BusFactory, request: pytest.FixtureRequest
) -> None:
    form: EnvelopeForm = request.node.callspec.params["responder"]
    settings: dict[str, JsonValue] = {"Light": "true", "Pattern": {"Color": "red", "BlinkMs": 250}}
    result = _client(app_bus, form).set("Light-1", "Alarm", settings)
    asked = _asked(responder, result, "edgex/core/command/request/Light-1/Alarm/set")
    assert asked["reply"] == "ok", asked
    assert asked["settings"] == settings  # decoded by EdgeX's GetMsgPayload[map[string]any]
    assert asked["queryParams"] in (None, {})
    assert (result.ok, result.status, result.event) == (True, 200, None)


@pytest.mark.parametrize("responder", FORMS, indirect=True, ids=lambda f: f.value)
def test_unknown_device_gets_the_error_reply(
    responder: PeerProcess, app_bus: BusFactory, request: pytest.FixtureRequest
) -> None:
    form: EnvelopeForm = request.node.callspec.params["responder"]
    client = _client(app_bus, form)
    got = client.get("No-Such-Device", "Motion")
    _asked(responder, got, "edgex/core/command/request/No-Such-Device/Motion/get")
    put = client.set("No-Such-Device", "Alarm", {"Light": "true"})
    _asked(responder, put, "edgex/core/command/request/No-Such-Device/Alarm/set")
    for result in (got, put):
        assert (result.ok, result.status, result.event) == (False, 404, None)
        assert "no device with name 'No-Such-Device' found" in result.message


@pytest.mark.parametrize("responder", [EnvelopeForm.NESTED_JSON], indirect=True, ids=lambda f: f.value)
def test_escaped_device_name_is_unescaped_by_edgex(responder: PeerProcess, app_bus: BusFactory) -> None:
    """Service.EnableNameFieldEscape: the device/command levels are escaped; EdgeX's side unescapes."""
    client = BusCommandClient(
        app_bus(EnvelopeForm.NESTED_JSON),
        BusCommandSettings(base_topic="edgex", timeout_s=5.0, escape_names=True),
    )
    result = client.get("Light-1", "Motion_1")
    asked = _asked(responder, result, "edgex/core/command/request/Light%2D1/Motion%5F1/get")
    assert (asked["device"], asked["command"]) == ("Light-1", "Motion_1")
    assert result.ok and result.event is not None, result
    assert (result.event.device_name, result.event.source_name) == ("Light-1", "Motion_1")
