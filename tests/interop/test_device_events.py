"""EdgeX -> app-vision: events published by EdgeX's own device-service code reach app-vision intact.

The Go peer builds each event as device-sdk-go's SendEvent does (dtos.NewEvent, AddSimpleReading /
AddBinaryReading, NewAddEventRequest, NewMessageEnvelope with GetEncodingContentType) and publishes
it with go-mod-messaging's MQTT client, in each wire form a deployment can choose.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from service.edgex.envelope import EnvelopeForm, event_from_envelope
from service.edgex.event_types import AddEventRequest, Reading
from service.edgex.topics import parse_event_topic
from tests.bus.busprobe import Collector
from tests.interop.conftest import BusFactory
from tests.interop.peer import Json, Peer
from tests.interop.samples import write_jpeg

pytestmark = pytest.mark.interop

FORMS = list(EnvelopeForm)


def _receive(
    peer: Peer,
    app_bus: BusFactory,
    form: EnvelopeForm,
    args: list[str],
    extra_env: dict[str, str] | None = None,
) -> tuple[Json, str, AddEventRequest]:
    bus = app_bus(form)
    collector = Collector()
    bus.subscribe(["edgex/events/device/#"], collector.handler, collector.on_error)
    published = peer.run("publish-event", args, form, extra_env)
    topic, envelope = collector.next()
    assert collector.errors.empty()
    assert envelope.media_type == published["contentType"]
    return published, topic, event_from_envelope(envelope)


def _assert_same_event(published: Json, req: AddEventRequest) -> Reading:
    sent = published["request"]
    event = req.event
    assert req.request_id == sent["requestId"]
    assert (event.id, event.device_name, event.profile_name, event.source_name) == (
        sent["event"]["id"],
        sent["event"]["deviceName"],
        sent["event"]["profileName"],
        sent["event"]["sourceName"],
    )
    assert event.origin == sent["event"]["origin"]  # exact nanoseconds, every form
    (reading,) = event.readings
    (sent_reading,) = sent["event"]["readings"]
    assert (reading.id, reading.origin, reading.resource_name) == (
        sent_reading["id"],
        sent_reading["origin"],
        sent_reading["resourceName"],
    )
    assert (reading.device_name, reading.profile_name) == (event.device_name, event.profile_name)
    return reading


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.value)
@pytest.mark.parametrize("value", [True, False])
def test_bool_event_from_edgex_is_decoded(
    peer: Peer, app_bus: BusFactory, form: EnvelopeForm, value: bool
) -> None:
    args = [
        "-service",
        "device-virtual",
        "-profile",
        "Random-Boolean-Device",
        "-device",
        "Door-1",
        "-source",
        "Bool",
        "-bool",
        str(value).lower(),
    ]
    published, topic, req = _receive(peer, app_bus, form, args)
    assert (
        topic == published["topic"] == "edgex/events/device/device-virtual/Random-Boolean-Device/Door-1/Bool"
    )
    expected_type = "application/cbor" if form is EnvelopeForm.CBOR else "application/json"
    assert published["contentType"] == expected_type
    reading = _assert_same_event(published, req)
    assert reading.value_type == "Bool"
    assert reading.as_bool() is value


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.value)
def test_binary_jpeg_event_from_edgex_is_decoded(
    peer: Peer, app_bus: BusFactory, form: EnvelopeForm, tmp_path: Path
) -> None:
    image, jpeg = write_jpeg(tmp_path, 640, 480)
    args = [
        "-service",
        "device-rest",
        "-profile",
        "camera-profile",
        "-device",
        "Camera-1",
        "-source",
        "Image",
        "-image",
        str(image),
    ]
    published, topic, req = _receive(peer, app_bus, form, args)
    assert topic == "edgex/events/device/device-rest/camera-profile/Camera-1/Image"
    assert published["contentType"] == "application/cbor"  # Binary reading: CBOR, whatever the form
    reading = _assert_same_event(published, req)
    assert (reading.value_type, reading.media_type) == ("Binary", "image/jpeg")
    assert reading.binary_value == jpeg
    assert base64.b64decode(published["request"]["event"]["readings"][0]["binaryValue"]) == jpeg


def test_escaped_names_from_edgex_are_unescaped(peer: Peer, app_bus: BusFactory) -> None:
    """With Service.EnableNameFieldEscape the topic levels are URL-escaped; the event names are not."""
    args = [
        "-service",
        "device-virtual",
        "-profile",
        "Profile.v2",
        "-device",
        "Door 1/East",
        "-source",
        "Bool_1",
        "-bool",
        "true",
        "-escape",
    ]
    published, topic, req = _receive(peer, app_bus, EnvelopeForm.NESTED_JSON, args)
    assert topic == "edgex/events/device/device%2Dvirtual/Profile%2Ev2/Door%201%2FEast/Bool%5F1"
    parsed = parse_event_topic(topic)
    assert (parsed.profile, parsed.device, parsed.source) == ("Profile.v2", "Door 1/East", "Bool_1")
    assert (req.event.profile_name, req.event.device_name, req.event.source_name) == (
        parsed.profile,
        parsed.device,
        parsed.source,
    )
    _assert_same_event(published, req)


@pytest.mark.parametrize("form", [EnvelopeForm.NESTED_JSON, EnvelopeForm.BASE64_JSON], ids=lambda f: f.value)
def test_all_events_cbor_from_edgex_is_decoded(peer: Peer, app_bus: BusFactory, form: EnvelopeForm) -> None:
    """EDGEX_ENCODE_ALL_EVENTS_CBOR=true: even a Bool event travels as a CBOR AddEventRequest."""
    args = ["-profile", "Random-Boolean-Device", "-device", "Door-1", "-source", "Bool", "-bool", "true"]
    published, _, req = _receive(peer, app_bus, form, args, {"EDGEX_ENCODE_ALL_EVENTS_CBOR": "true"})
    assert published["contentType"] == "application/cbor"
    assert _assert_same_event(published, req).as_bool() is True
