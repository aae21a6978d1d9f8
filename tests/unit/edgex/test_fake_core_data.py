"""The fake core-data itself: what it stores, what it refuses, and its REST answers per spec."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import requests

from service.edgex.bus import MemoryBus
from service.edgex.dtos import AddEventRequest, Event, Reading, new_add_event_request, new_event
from service.edgex.envelope import EnvelopeForm, MessageEnvelope, envelope_for_event
from service.edgex.topics import event_topic
from service.edgex.wire_format import WireFormat
from tests.bus.busprobe import Collector
from tests.fakes.core_data import FakeCoreData, Refused, parse_value
from tests.fakes.openapi_spec import SpecValidator
from tests.unit.edgex.conftest import Capture

DEVICE, PROFILE, SERVICE = "sensor-01", "sensor-profile", "device-test"
WAIT_S = 2.0


@pytest.fixture
def core(bus: MemoryBus) -> Iterator[FakeCoreData]:
    with FakeCoreData(bus) as fake:
        yield fake


def reading(resource: str, value_type: str, value: str | None, origin: int = 0) -> Reading:
    """A simple reading with exactly this wire value (Reading.simple would format a Python value)."""
    return replace(Reading.simple(resource, value_type, None, origin=origin), value=value)


def event_of(
    *readings: Reading, source: str = "Values", origin: int | None = None, device: str = DEVICE
) -> Event:
    event = new_event(device, PROFILE, source, readings)
    if origin is None:
        return event
    return replace(event, origin=origin, readings=tuple(replace(r, origin=origin) for r in event.readings))


def topic_of(event: Event) -> str:
    return event_topic(
        "edgex", SERVICE, event.profile_name, event.device_name, event.source_name, escape=False
    )


def publish(bus: MemoryBus, event: Event, form: EnvelopeForm = EnvelopeForm.NESTED_JSON, **kw: Any) -> None:
    topic = kw.pop("topic", None) or topic_of(event)
    bus.publish(topic, envelope_for_event(new_add_event_request(event), form, **kw))


def publish_payload(bus: MemoryBus, topic: str, payload: dict[str, Any]) -> None:
    bus.publish(topic, MessageEnvelope(correlation_id="c1", payload=payload))  # nested JSON as given


def get(core: FakeCoreData, path: str, **params: str) -> requests.Response:
    return requests.get(f"{core.url}/api/v3/{path}", params=params, timeout=2)


def settled(core: FakeCoreData, messages: int) -> None:
    core.wait_for(lambda c: len(c.events) + len(c.rejected) >= messages, WAIT_S)


# ingest: accepted ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("form", "kw"),
    [
        (EnvelopeForm.NESTED_JSON, {}),  # 4.x default
        (EnvelopeForm.BASE64_JSON, {}),  # 3.x / EDGEX_MSG_BASE64_PAYLOAD
        (EnvelopeForm.NESTED_JSON, {"cbor_all_events": True}),  # contentType application/cbor
    ],
    ids=["nested-json", "base64-json", "cbor-payload"],
)
def test_events_in_json_and_cbor_forms_are_stored(
    bus: MemoryBus, core: FakeCoreData, form: EnvelopeForm, kw: dict[str, Any]
) -> None:
    event = event_of(reading("Temp", "Float64", "2.345000e+01"), reading("Count", "Int64", "-7"))
    publish(bus, event, form, **kw)
    core.wait_for(lambda c: len(c.events) == 1, WAIT_S)
    assert core.rejected == []
    stored = core.events[0]
    assert (stored.id, stored.device_name, stored.profile_name, stored.source_name) == (
        event.id,
        DEVICE,
        PROFILE,
        "Values",
    )
    temp, count = core.readings(DEVICE, "Temp"), core.readings(DEVICE, "Count")
    assert [(r.value, r.number, r.value_type) for r in temp] == [("2.345000e+01", 23.45, "Float64")]
    assert [(r.value, r.number) for r in count] == [("-7", -7)]
    assert isinstance(count[0].number, int) and isinstance(temp[0].number, float)
    assert [r.resource_name for r in core.readings(DEVICE)] == ["Temp", "Count"]


def test_binary_event_is_stored_with_its_bytes(bus: MemoryBus, core: FakeCoreData) -> None:
    publish(bus, event_of(Reading.binary("Snapshot", b"\xff\xd8jpeg", "image/jpeg"), source="Snapshot"))
    core.wait_for(lambda c: len(c.events) == 1, WAIT_S)
    (stored,) = core.readings(DEVICE, "Snapshot")
    assert (stored.binary_value, stored.media_type, stored.value, stored.number) == (
        b"\xff\xd8jpeg",
        "image/jpeg",
        None,
        None,
    )


def test_whole_cbor_envelope_needs_cbor_envelopes() -> None:
    cbor_bus = MemoryBus(WireFormat(form=EnvelopeForm.CBOR))
    cbor_bus.connect()
    try:
        with FakeCoreData(cbor_bus) as default_core:
            publish(cbor_bus, event_of(reading("Count", "Int8", "5")))
            default_core.wait_for(lambda c: len(c.rejected) == 1, WAIT_S)
            assert default_core.events == [] and "whole-CBOR" in default_core.rejected[0][1]
        with FakeCoreData(cbor_bus, cbor_envelopes=True) as cbor_core:
            publish(cbor_bus, event_of(reading("Count", "Int8", "5")))
            cbor_core.wait_for(lambda c: len(c.events) == 1, WAIT_S)
            assert cbor_core.readings(DEVICE, "Count")[0].number == 5
    finally:
        cbor_bus.close()


def test_nested_json_origin_goes_through_float64_but_base64_keeps_it(
    bus: MemoryBus, core: FakeCoreData
) -> None:
    # captures/README.md: 1795569504369870084 was stored as 1795569504369870000 (nested JSON)
    origin = 1795569504369870084
    publish(bus, event_of(reading("Count", "Int64", "1"), origin=origin), EnvelopeForm.NESTED_JSON)
    publish(bus, event_of(reading("Count", "Int64", "2"), origin=origin), EnvelopeForm.BASE64_JSON)
    core.wait_for(lambda c: len(c.events) == 2, WAIT_S)
    assert [(e.origin, e.readings[0].origin) for e in core.events] == [
        (1795569504369870000, 1795569504369870000),
        (origin, origin),
    ]


CAPTURED_EVENTS = [
    "event-v4-bool",
    "event-v4-int64",
    "event-v4-float64",
    "event-v4-boolarray",
    "event-v4-float32array",
    "event-v4-object",
    "event-v4-objectarray",
    "event-v4-binary-cbor",
    "event-v4-device-rest-object",
    "event-v3form-base64-bool",
]


def test_every_captured_event_is_accepted(
    bus: MemoryBus, core: FakeCoreData, captures: dict[str, Capture]
) -> None:
    for name in CAPTURED_EVENTS:
        bus.publish_raw(captures[name].topic, captures[name].data)
    settled(core, len(CAPTURED_EVENTS))
    assert core.rejected == []
    assert [e.topic for e in core.events] == [captures[name].topic for name in CAPTURED_EVENTS]
    (image,) = core.readings("Random-Binary-Device")
    assert image.value_type == "Binary" and image.binary_value and image.media_type


@pytest.mark.parametrize(
    ("name", "resource", "number", "wire_origin"),
    [
        ("event-v4-int64", "Int64", -792440581013538726, 1795569509447596283),
        ("event-v4-float64", "Float64", 1.2473214949875589e307, 1795569524520115442),
    ],
)
def test_golden_numeric_events_store_numbers_and_answer_them_over_rest(
    bus: MemoryBus,
    core: FakeCoreData,
    captures: dict[str, Capture],
    name: str,
    resource: str,
    number: float,
    wire_origin: int,
) -> None:
    capture = captures[name]
    device = capture.topic.split("/")[-2]
    bus.publish_raw(capture.topic, capture.data)
    core.wait_for(lambda c: len(c.readings(device)) == 1, WAIT_S)
    (stored,) = core.readings(device, resource)
    assert stored.number == number and type(stored.number) is type(number)
    assert stored.origin != wire_origin and abs(stored.origin - wire_origin) < 1000  # via float64
    answer = get(core, f"reading/device/name/{device}/resourceName/{resource}", numeric="true").json()
    assert answer["readings"][0]["value"] == number and type(answer["readings"][0]["value"]) is type(number)
    as_text = get(core, f"reading/device/name/{device}", numeric="false").json()
    assert (
        as_text["readings"][0]["value"]
        == json.loads(capture.data)["payload"]["event"]["readings"][0]["value"]
    )
    assert core.invalid_requests == [] and core.response_errors == []


# ingest: refused -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("topic", "reason"),
    [
        (f"edgex/events/device/{SERVICE}/other-profile/{DEVICE}/Values", "profileName"),
        (f"edgex/events/device/{SERVICE}/{PROFILE}/other-device/Values", "deviceName"),
        (f"edgex/events/device/{SERVICE}/{PROFILE}/{DEVICE}/Other", "sourceName"),
        (f"edgex/events/device/{PROFILE}/{DEVICE}", "invalid message topic"),
    ],
)
def test_topic_that_does_not_match_the_event_is_rejected(
    bus: MemoryBus, core: FakeCoreData, topic: str, reason: str
) -> None:
    publish(bus, event_of(reading("Count", "Int64", "1")), topic=topic)
    core.wait_for(lambda c: len(c.rejected) == 1, WAIT_S)
    assert core.events == [] and core.rejected[0][0] == topic and reason in core.rejected[0][1]


def test_escaped_topic_levels_are_unescaped_before_the_match(bus: MemoryBus, core: FakeCoreData) -> None:
    event = event_of(reading("Count", "Int64", "1"), device="cam.01")
    publish(bus, event, topic=event_topic("edgex", SERVICE, PROFILE, "cam.01", "Values", escape=True))
    core.wait_for(lambda c: len(c.events) == 1, WAIT_S)
    assert core.rejected == []


@pytest.mark.parametrize(
    ("value_type", "value", "accepted"),
    [
        ("Float64", "abc", False),
        ("Float64", "1e400", False),  # strconv: ErrRange
        ("Float32", "1e39", False),
        ("Float64", "1_0", False),  # Python's float() would take it
        ("Float64", " 1.5", False),
        ("Int8", "300", False),
        ("Int64", "1.0", False),
        ("Uint8", "-1", False),
        ("Uint8", "+1", False),
        ("Int32", "", False),
        ("Bool", "yes", False),
        ("Int8Array", "[1, x]", False),
        ("Float64Array", "[]", False),
        ("Float64", "1e308", True),
        ("Float64", "+Inf", True),
        ("Float32", "0x1p-2", True),
        ("Int64", "+5", True),
        ("Uint64", "18446744073709551615", True),
        ("Bool", "T", True),
        ("Int8Array", "[1, -2, 3]", True),
        ("String", "abc", True),
    ],
)
def test_reading_values_are_checked_like_go_strconv(value_type: str, value: str, accepted: bool) -> None:
    if accepted:
        parse_value(value_type, value)
    else:
        with pytest.raises(Refused, match=value_type.removesuffix("Array")):
            parse_value(value_type, value)


def test_float64_abc_is_rejected_and_numbers_parse(bus: MemoryBus, core: FakeCoreData) -> None:
    publish(bus, event_of(reading("Temp", "Float64", "abc")))
    publish(
        bus, event_of(reading("Temp", "Float64", "1.5e+00"), reading("N", "Uint64", "18446744073709551615"))
    )
    settled(core, 2)
    assert len(core.rejected) == 1 and "Float64" in core.rejected[0][1]
    assert [(r.resource_name, r.number) for r in core.readings(DEVICE)] == [
        ("Temp", 1.5),
        ("N", 18446744073709551615),
    ]


def test_values_are_checked_before_the_topic_as_core_data_does(bus: MemoryBus, core: FakeCoreData) -> None:
    wrong_topic = f"edgex/events/device/{SERVICE}/{PROFILE}/{DEVICE}/Other"
    publish(bus, event_of(reading("Temp", "Float64", "abc")), topic=wrong_topic)
    core.wait_for(lambda c: len(c.rejected) == 1, WAIT_S)
    assert "does not parse as Float64" in core.rejected[0][1]


def _request_map(event: Event) -> dict[str, Any]:
    envelope = envelope_for_event(AddEventRequest("", event), EnvelopeForm.NESTED_JSON)
    assert isinstance(envelope.payload, dict)
    return envelope.payload


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda m: m.pop("apiVersion"), "apiVersion"),
        (lambda m: m.update(m["event"]) or m.pop("event"), "event"),  # a bare Event
        (lambda m: m["event"].update(id="not-a-uuid"), "uuid"),
        (lambda m: m["event"].update(origin=0), "origin"),
        (lambda m: m["event"].update(readings=[]), "no readings"),
        (lambda m: m["event"]["readings"][0].update(value=5), "schema"),
        (lambda m: m["event"]["readings"][0].update(valueType="Decimal"), "schema"),
        (lambda m: m["event"]["readings"][0].pop("profileName"), "profileName"),
        (lambda m: m["event"].update(deviceName=" "), "deviceName"),
    ],
)
def test_requests_violating_the_schema_or_dto_rules_are_rejected(
    bus: MemoryBus, core: FakeCoreData, change: Any, reason: str
) -> None:
    event = event_of(reading("Count", "Int64", "1"))
    payload = _request_map(event)
    change(payload)
    publish_payload(bus, topic_of(event), payload)
    core.wait_for(lambda c: len(c.rejected) == 1, WAIT_S)
    assert core.events == [] and reason in core.rejected[0][1], core.rejected


def test_malformed_envelope_is_rejected_and_later_events_are_stored(
    bus: MemoryBus, core: FakeCoreData
) -> None:
    event = event_of(reading("Count", "Int64", "1"))
    bus.publish_raw(topic_of(event), b"{not json")
    bus.publish_raw(topic_of(event), b'{"payload": "%%% not base64", "contentType": "application/json"}')
    bus.publish(topic_of(event), MessageEnvelope(payload="oops", content_type="text/plain", error_code=1))
    publish(bus, event)
    core.wait_for(lambda c: len(c.events) == 1, WAIT_S)
    assert [t for t, _ in core.rejected] == [topic_of(event)] * 3
    assert core.rejected[0][1].startswith("envelope:")


def test_close_unsubscribes(bus: MemoryBus) -> None:
    probe = Collector()
    bus.subscribe(["edgex/events/#"], probe.handler, probe.on_error)
    core = FakeCoreData(bus)
    core.start()
    core.close()
    publish(bus, event_of(reading("Count", "Int64", "1")))
    probe.next(WAIT_S)  # the bus delivered it, to the probe only
    assert core.events == [] and core.rejected == []
    with pytest.raises(requests.ConnectionError):
        get(core, "ping")


def test_wait_for_times_out_with_what_it_saw(core: FakeCoreData) -> None:
    with pytest.raises(AssertionError, match="0 events stored"):
        core.wait_for(lambda c: len(c.events) > 0, timeout_s=0.05)


# REST ------------------------------------------------------------------------------------------
OFFICIAL = SpecValidator("core-data")  # core-data.yaml without the fake's Reading fixes


def official_errors(core: FakeCoreData, path: str, **params: str) -> list[str]:
    reply = get(core, path, **params)
    return OFFICIAL.response_errors("GET", f"/api/v3/{path}", params, reply.status_code, reply.content)


def test_rest_answers_newest_first_with_offset_and_limit(bus: MemoryBus, core: FakeCoreData) -> None:
    base = 1_700_000_000_000_000_000
    for i in (2, 0, 1):  # published out of origin order
        publish(bus, event_of(reading("Count", "Int64", str(i)), origin=base + i), EnvelopeForm.BASE64_JSON)
    publish(bus, event_of(reading("Count", "Int64", "9"), device="other"))
    core.wait_for(lambda c: len(c.events) == 4, WAIT_S)

    def values(path: str, **params: str) -> list[str]:
        return [r["value"] for r in get(core, path, **params).json()["readings"]]

    assert values(f"reading/device/name/{DEVICE}") == ["2", "1", "0"]
    assert values(f"reading/device/name/{DEVICE}/resourceName/Count", offset="1", limit="1") == ["1"]
    assert values(f"reading/device/name/{DEVICE}", limit="-1", offset="2") == ["0"]
    events = get(core, f"event/device/name/{DEVICE}", limit="2").json()
    assert events["totalCount"] == 3 and [e["origin"] for e in events["events"]] == [base + 2, base + 1]
    assert "id" not in events["events"][0]["readings"][0] and events["events"][0]["id"]
    assert get(core, "event/count").json() == {"apiVersion": "v3", "statusCode": 200, "count": 4}
    assert get(core, f"reading/count/device/name/{DEVICE}").json()["count"] == 3
    assert get(core, "event/count/device/name/other").json()["count"] == 1
    assert get(core, f"reading/device/name/{DEVICE}", offset="4").status_code == 416
    assert get(core, "reading/device/name/nobody").json()["readings"] == []
    assert get(core, "ping").json()["serviceName"] == "core-data"
    for path in (f"reading/device/name/{DEVICE}", f"event/device/name/{DEVICE}", "event/count", "ping"):
        assert official_errors(core, path) == [], path
    assert core.invalid_requests == [] and core.response_errors == []


def test_numeric_true_answers_numbers_and_default_answers_strings(bus: MemoryBus, core: FakeCoreData) -> None:
    publish(
        bus,
        event_of(
            reading("I", "Int64", "-42"), reading("F", "Float64", "2.5e+00"), reading("B", "Bool", "true")
        ),
    )
    core.wait_for(lambda c: len(c.events) == 1, WAIT_S)
    numeric = {
        r["resourceName"]: r["value"]
        for r in get(core, f"reading/device/name/{DEVICE}", numeric="true").json()["readings"]
    }
    assert numeric == {"I": -42, "F": 2.5, "B": "true"} and isinstance(numeric["I"], int)
    event = get(core, f"event/device/name/{DEVICE}", numeric="true").json()["events"][0]
    assert [r["value"] for r in event["readings"]] == [-42, 2.5, "true"]
    plain = get(core, f"reading/device/name/{DEVICE}").json()["readings"]
    assert [r["value"] for r in plain] == ["-42", "2.5e+00", "true"]
    assert official_errors(core, f"reading/device/name/{DEVICE}") == []
    assert core.invalid_requests == [] and core.response_errors == []


def test_event_by_id_and_duplicated_ids(bus: MemoryBus, core: FakeCoreData) -> None:
    event = event_of(reading("Count", "Int64", "1"))
    publish(bus, event)
    core.wait_for(lambda c: len(c.events) == 1, WAIT_S)
    assert get(core, f"event/id/{event.id}").json()["event"]["id"] == event.id
    publish(bus, event)  # captures/README.md: stored twice, then GET by id answers 500
    core.wait_for(lambda c: len(c.events) == 2, WAIT_S)
    assert get(core, f"event/id/{event.id}").status_code == 500
    assert get(core, "event/id/6d1f2a5e-0000-4000-8000-000000000000").status_code == 404


@pytest.mark.parametrize(
    "params", [{"limit": "many"}, {"offset": "-2"}, {"numeric": "yes"}, {"limit": "2000"}]
)
def test_invalid_queries_get_400(core: FakeCoreData, params: dict[str, str]) -> None:
    assert get(core, f"reading/device/name/{DEVICE}", **params).status_code == 400
    if params != {"limit": "2000"}:  # spec-valid, but above core-data's MaxResultCount
        assert len(core.invalid_requests) == 1
