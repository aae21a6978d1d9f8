"""app-vision -> EdgeX: result events pass EdgeX's own decoding and validation, as core-data runs them.

The Go consumer subscribes `edgex/events/device/#` with go-mod-messaging and runs core-data v4's
path: types.GetMsgPayload[requests.AddEventRequest] (whose Unmarshal runs AddEventRequest.Validate:
UUID id, names, non-zero origin, reading value checks) and the topic rule of edgex-go's
ValidateEvent (re-implemented in the peer: edgex-go itself cannot be fetched here).
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from service.edgex.bus import MessageBus
from service.edgex.dtos import Reading, new_add_event_request, new_event
from service.edgex.envelope import EnvelopeForm, envelope_for_event, event_from_envelope
from service.edgex.event_types import AddEventRequest
from service.edgex.wire_format import WireFormat
from tests.bus.busprobe import Collector
from tests.interop.conftest import BusFactory
from tests.interop.peer import Json, Peer, PeerProcess
from tests.interop.results import RESULT_TOPIC, publish_result
from tests.interop.samples import write_jpeg

pytestmark = pytest.mark.interop

FORMS = list(EnvelopeForm)
# Where EdgeX holds a number as float64, integers near 1.8e18 (nanoseconds) come back rounded to a
# multiple of 256 (captures README: "A nested-JSON payload loses the low digits of origin").
FLOAT64_NS_TOLERANCE = 256


@pytest.fixture
def consumer(peer: Peer, request: pytest.FixtureRequest) -> Iterator[PeerProcess]:
    form: EnvelopeForm = request.param
    yield peer.start("consume-events", ["-count", "1", "-timeout", "15s"], form)


def _difference(expected: Any, actual: Any, tolerance: int, path: str = "$") -> str | None:
    """Where two JSON values differ (None if equal); integers beyond float64's exact range may differ
    by `tolerance`."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict) or expected.keys() != actual.keys():
            shown = sorted(actual) if isinstance(actual, dict) else actual
            return f"{path}: keys {sorted(expected)} != {shown}"
        found = (_difference(expected[k], actual[k], tolerance, f"{path}.{k}") for k in expected)
        return next((d for d in found if d is not None), None)
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(expected) != len(actual):
            return f"{path}: {expected!r} != {actual!r}"
        found = (
            _difference(e, a, tolerance, f"{path}[{i}]")
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
        )
        return next((d for d in found if d is not None), None)
    if isinstance(expected, int) and not isinstance(expected, bool) and abs(expected) > 2**53:
        close = isinstance(actual, int | float) and abs(expected - actual) <= tolerance
        return None if close else f"{path}: {expected!r} != {actual!r} (tolerance {tolerance})"
    return (
        None
        if expected == actual and type(expected) is type(actual)
        else f"{path}: {expected!r} != {actual!r}"
    )


def _same(expected: Any, actual: Any, tolerance: int) -> None:
    difference = _difference(expected, actual, tolerance)
    assert difference is None, difference


def _published(bus: MessageBus) -> Collector:
    """What app-vision put on the wire, as app-vision itself decodes it (for exact comparisons)."""
    collector = Collector()
    bus.subscribe(["edgex/events/device/#"], collector.handler, collector.on_error)
    return collector


def _verdict(consumer: PeerProcess) -> Json:
    verdict = consumer.next(15.0)
    assert "done" not in verdict, "the Go consumer received nothing"
    return verdict


def _readings_by_resource(event: Json) -> dict[str, list[Json]]:
    found: dict[str, list[Json]] = {}
    for reading in event["readings"]:
        found.setdefault(reading["resourceName"], []).append(reading)
    return found


@pytest.mark.parametrize("consumer", FORMS, indirect=True, ids=lambda f: f.value)
@pytest.mark.parametrize("snapshot", [True, False], ids=["with-snapshot", "no-snapshot"])
def test_result_event_passes_core_data_checks(
    consumer: PeerProcess, app_bus: BusFactory, tmp_path: Path, snapshot: bool, request: pytest.FixtureRequest
) -> None:
    form: EnvelopeForm = request.node.callspec.params["consumer"]
    bus = app_bus(form)
    mine = _published(bus)
    _, jpeg = write_jpeg(tmp_path)
    event_id, payload = publish_result(bus, WireFormat(form=form), tmp_path, jpeg if snapshot else None)
    verdict = _verdict(consumer)
    assert verdict["ok"] is True, verdict
    assert verdict["topic"] == RESULT_TOPIC
    _, envelope = mine.next()
    sent = event_from_envelope(envelope).event
    event = verdict["event"]
    assert event["id"] == event_id == sent.id
    assert (event["deviceName"], event["profileName"], event["sourceName"]) == (
        "app-vision",
        "app-vision-result",
        "Alert",
    )
    # A Binary reading makes the payload CBOR: every integer exact. A JSON payload: EdgeX keeps the
    # event origin exact when base64-wrapped but rounds it through float64 when nested, and always
    # holds objectValue numbers as float64 (go-mod-core-contracts dtos/reading.go convertJSONNumbers).
    json_payload = form is not EnvelopeForm.CBOR and not snapshot
    origin_tolerance = FLOAT64_NS_TOLERANCE if json_payload and form is EnvelopeForm.NESTED_JSON else 0
    object_tolerance = FLOAT64_NS_TOLERANCE if json_payload else 0
    _same(sent.origin, event["origin"], origin_tolerance)
    readings = _readings_by_resource(event)
    assert [r["value"] for r in readings["AlertState"]] == ["new"]
    assert readings["AlertState"][0]["valueType"] == "String"
    (alert,) = readings["Alert"]
    assert alert["valueType"] == "Object"
    _same(payload["alert"], alert["objectValue"], object_tolerance)
    assert [r["objectValue"] for r in readings["Detection"]] == payload["detections"]
    if snapshot:
        (image,) = readings["Snapshot"]
        assert (image["valueType"], image["mediaType"]) == ("Binary", "image/jpeg")
        assert base64.b64decode(image["binaryValue"]) == jpeg
    else:
        assert "Snapshot" not in readings
    for reading in event["readings"]:
        assert (reading["deviceName"], reading["profileName"]) == ("app-vision", "app-vision-result")
        assert reading["origin"] != 0


@pytest.mark.parametrize("consumer", FORMS, indirect=True, ids=lambda f: f.value)
def test_end_of_alert_event_passes_core_data_checks(
    consumer: PeerProcess, app_bus: BusFactory, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The end transition carries no detections: still a valid event (Validate needs >= 1 reading)."""
    form: EnvelopeForm = request.node.callspec.params["consumer"]
    event_id, _ = publish_result(app_bus(form), WireFormat(form=form), tmp_path, None, transition="end")
    verdict = _verdict(consumer)
    assert verdict["ok"] is True, verdict
    assert verdict["event"]["id"] == event_id
    assert sorted(r["resourceName"] for r in verdict["event"]["readings"]) == ["Alert", "AlertState"]


def _simple_result() -> AddEventRequest:
    readings = [Reading.simple("AlertState", "String", "new"), Reading.object("Alert", {"rule": "r"})]
    return new_add_event_request(new_event("app-vision", "app-vision-result", "Alert", readings))


def _publish_raw(
    bus: MessageBus, form: EnvelopeForm, req: AddEventRequest, topic: str = RESULT_TOPIC
) -> None:
    bus.publish(topic, envelope_for_event(req, form))


def _rejected(consumer: PeerProcess, stage: str) -> str:
    verdict = _verdict(consumer)
    assert verdict["ok"] is False, verdict
    assert verdict["stage"] == stage, verdict
    error: str = verdict["error"]
    return error


@pytest.mark.parametrize("consumer", FORMS, indirect=True, ids=lambda f: f.value)
def test_event_whose_names_differ_from_topic_is_rejected(
    consumer: PeerProcess, app_bus: BusFactory, request: pytest.FixtureRequest
) -> None:
    form: EnvelopeForm = request.node.callspec.params["consumer"]
    wrong_topic = RESULT_TOPIC.rsplit("/", 1)[0] + "/Other"
    _publish_raw(app_bus(form), form, _simple_result(), wrong_topic)
    assert "sourceName Alert mismatches with the name Other" in _rejected(consumer, "topic")


@pytest.mark.parametrize("consumer", FORMS, indirect=True, ids=lambda f: f.value)
def test_event_without_origin_is_rejected(
    consumer: PeerProcess, app_bus: BusFactory, request: pytest.FixtureRequest
) -> None:
    form: EnvelopeForm = request.node.callspec.params["consumer"]
    req = _simple_result()
    req = dataclasses.replace(req, event=dataclasses.replace(req.event, origin=0))
    _publish_raw(app_bus(form), form, req)
    assert "Origin" in _rejected(consumer, "decode")


@pytest.mark.parametrize("consumer", [EnvelopeForm.NESTED_JSON], indirect=True, ids=lambda f: f.value)
def test_reading_with_invalid_value_is_rejected(consumer: PeerProcess, app_bus: BusFactory) -> None:
    """EdgeX checks simple values against their valueType: "yes" is not a Bool."""
    req = _simple_result()
    bad = "yes"
    readings = (
        dataclasses.replace(req.event.readings[0], value_type="Bool", value=bad),
        *req.event.readings[1:],
    )
    req = dataclasses.replace(req, event=dataclasses.replace(req.event, readings=readings))
    _publish_raw(app_bus(EnvelopeForm.NESTED_JSON), EnvelopeForm.NESTED_JSON, req)
    assert "does not match the Bool valueType" in _rejected(consumer, "decode")


@pytest.mark.parametrize("consumer", [EnvelopeForm.NESTED_JSON], indirect=True, ids=lambda f: f.value)
def test_escaped_result_topic_passes_core_data_topic_rule(
    consumer: PeerProcess, app_bus: BusFactory, tmp_path: Path
) -> None:
    """Service.EnableNameFieldEscape: app-vision escapes the names, core-data's rule unescapes them."""
    wire = WireFormat(form=EnvelopeForm.NESTED_JSON, name_field_escape=True)
    event_id, _ = publish_result(app_bus(EnvelopeForm.NESTED_JSON), wire, tmp_path, None)
    verdict = _verdict(consumer)
    assert verdict["ok"] is True, verdict
    assert verdict["topic"] == "edgex/events/device/app%2Dvision/app%2Dvision%2Dresult/app%2Dvision/Alert"
    assert verdict["event"]["id"] == event_id


@pytest.mark.parametrize(
    ("consumer", "app_form"),
    [
        (EnvelopeForm.NESTED_JSON, EnvelopeForm.BASE64_JSON),
        (EnvelopeForm.BASE64_JSON, EnvelopeForm.NESTED_JSON),
    ],
    indirect=["consumer"],
    ids=["edgex-nested-app-base64", "edgex-base64-app-nested"],
)
def test_json_forms_mix_across_services(
    consumer: PeerProcess, app_bus: BusFactory, tmp_path: Path, app_form: EnvelopeForm
) -> None:
    """EDGEX_MSG_BASE64_PAYLOAD set on one side only: 4.x JSON receivers accept both payload forms."""
    event_id, _ = publish_result(app_bus(app_form), WireFormat(form=app_form), tmp_path, None)
    verdict = _verdict(consumer)
    assert verdict["ok"] is True, verdict
    assert verdict["event"]["id"] == event_id


@pytest.mark.parametrize("consumer", [EnvelopeForm.NESTED_JSON], indirect=True, ids=lambda f: f.value)
def test_all_events_cbor_result_passes_core_data_checks(
    consumer: PeerProcess, app_bus: BusFactory, tmp_path: Path
) -> None:
    """EDGEX_ENCODE_ALL_EVENTS_CBOR=true on app-vision: a CBOR payload, and every integer stays exact."""
    wire = WireFormat(form=EnvelopeForm.NESTED_JSON, encode_all_events_cbor=True)
    event_id, payload = publish_result(app_bus(EnvelopeForm.NESTED_JSON), wire, tmp_path, None)
    verdict = _verdict(consumer)
    assert verdict["ok"] is True, verdict
    assert verdict["event"]["id"] == event_id
    assert verdict["contentType"] == "application/cbor"
    (alert,) = _readings_by_resource(verdict["event"])["Alert"]
    _same(payload["alert"], alert["objectValue"], 0)
