"""Our bus over real Mosquitto, Redis and NATS servers against plain clients playing EdgeX."""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from typing import Any

import cbor2
import pytest

from service.edgex.bus import BusSettings, BusUnavailable, create_bus
from service.edgex.envelope import (
    EnvelopeForm,
    MessageEnvelope,
    decode_envelope,
    envelope_for_event,
    event_from_envelope,
)
from service.edgex.errors import DecodeError
from service.edgex.wire_format import WireFormat
from tests.bus.brokers import free_port
from tests.bus.busprobe import Collector, capture, wait_until
from tests.bus.transport import Transport

pytestmark = pytest.mark.bus

EVENTS = "edgex/events/#"


def cbor_envelope(name: str) -> bytes:
    """A capture re-encoded as a whole-CBOR envelope (EDGEX_MSG_CBOR_ENCODE=true), by cbor2 alone."""
    raw = json.loads(capture(name)[1])
    return cbor2.dumps(raw)


FOREIGN = {
    "v4": lambda: capture("event-v4-bool")[1],
    "v3-base64": lambda: capture("event-v3form-base64-bool")[1],
    "cbor-binary": lambda: capture("event-v4-binary-cbor")[1],
    "cbor-envelope": lambda: cbor_envelope("event-v4-objectarray"),
}
FOREIGN_SOURCE = {
    "v4": "event-v4-bool",
    "v3-base64": "event-v3form-base64-bool",
    "cbor-binary": "event-v4-binary-cbor",
    "cbor-envelope": "event-v4-objectarray",
}


@pytest.mark.parametrize("form", list(FOREIGN))
def test_event_from_a_plain_publisher_arrives_decoded(transport: Transport, form: str) -> None:
    topic, golden = capture(FOREIGN_SOURCE[form])
    data = FOREIGN[form]()
    if transport.nats_headers and form == "cbor-envelope":
        data = golden  # the nats format carries no envelope; the headers+body form is tested by the others
    got = Collector()
    with transport.bus() as bus:
        bus.subscribe([EVENTS], got.handler, got.on_error)
        transport.plain().publish_envelope(topic, data)
        received_topic, envelope = got.next()
    assert received_topic == envelope.received_topic == topic
    assert event_from_envelope(envelope) == event_from_envelope(decode_envelope(golden))
    assert got.errors.empty()


def _plain_decode(body: bytes, headers: dict[str, str] | None) -> tuple[dict[str, Any], Any]:
    """(envelope fields, AddEventRequest map) the way an EdgeX Go consumer reads them."""
    if headers is not None:  # nats format: the body is the DTO itself
        outer: dict[str, Any] = {
            "contentType": headers["Content-Type"],
            "correlationID": headers["X-Correlation-ID"],
        }
        inner = body
    else:
        outer = cbor2.loads(body) if body[:1] != b"{" else json.loads(body)
        inner = outer["payload"]
        if isinstance(inner, str):
            inner = base64.b64decode(inner, validate=True)
    if isinstance(inner, bytes):
        inner = cbor2.loads(inner) if outer["contentType"] == "application/cbor" else json.loads(inner)
    return outer, inner


@pytest.mark.parametrize(
    ("form", "source"),
    [
        (EnvelopeForm.NESTED_JSON, "event-v4-float64"),
        (EnvelopeForm.BASE64_JSON, "event-v4-int64"),
        (EnvelopeForm.CBOR, "event-v4-object"),
        (EnvelopeForm.NESTED_JSON, "event-v4-binary-cbor"),
    ],
)
def test_publish_is_read_back_by_a_plain_client_as_edgex_expects(
    transport: Transport, form: EnvelopeForm, source: str
) -> None:
    topic, golden = capture(source)
    golden_outer, golden_inner = _plain_decode(golden, None)
    request = event_from_envelope(decode_envelope(golden))
    inbox = transport.plain().listen(EVENTS)
    with transport.bus(form) as bus:
        bus.publish(topic, envelope_for_event(request, form, correlation_id="corr-1"))
        received_topic, body, headers = inbox.get(timeout=5)
    outer, inner = _plain_decode(body, headers)
    assert received_topic == topic
    # a whole-CBOR envelope always says application/cbor (GMM forces it); the nats format has no envelope
    whole_cbor = form is EnvelopeForm.CBOR and headers is None
    content_type = "application/cbor" if whole_cbor else golden_outer["contentType"]
    assert (outer["contentType"], outer["correlationID"]) == (content_type, "corr-1")
    if headers is None:
        assert set(outer) == set(golden_outer)
        assert outer["apiVersion"] == "v3" and outer["errorCode"] == 0
    assert inner["event"]["readings"] == golden_inner["event"]["readings"]
    assert {k: inner["event"][k] for k in ("id", "deviceName", "profileName", "sourceName", "origin")} == {
        k: golden_inner["event"][k] for k in ("id", "deviceName", "profileName", "sourceName", "origin")
    }


def test_garbage_goes_to_on_error_and_the_next_message_still_arrives(transport: Transport) -> None:
    topic, golden = capture("event-v4-int64")
    got = Collector()
    with transport.bus() as bus:
        bus.subscribe([EVENTS], got.handler, got.on_error)
        plain = transport.plain()
        plain.publish_garbage(topic)
        plain.publish_envelope(topic, golden)
        error_topic, error = got.next_error()
        received_topic, envelope = got.next()
    assert isinstance(error, DecodeError) and error_topic == topic
    assert received_topic == topic
    assert event_from_envelope(envelope).event.source_name == "Int64"


def test_broker_restart_resubscribes_and_keeps_receiving(transport: Transport) -> None:
    topic, golden = capture("event-v4-bool")
    got = Collector()
    with transport.bus() as bus:
        bus.subscribe([EVENTS], got.handler, got.on_error)
        transport.plain().publish_envelope(topic, golden)
        got.next()
        transport.broker.kill()
        deadline = time.monotonic() + 5
        while bus.connected and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not bus.connected
        transport.broker.start()
        plain = transport.plain()
        deadline = time.monotonic() + 15
        while got.messages.empty() and time.monotonic() < deadline:  # until resubscribed
            plain.publish_envelope(topic, golden)
            time.sleep(0.2)
        received_topic, envelope = got.next(timeout_s=0.5)
        assert bus.connected
    assert received_topic == topic
    assert envelope.correlation_id == decode_envelope(golden).correlation_id


def test_request_round_trip_with_a_plain_responder(transport: Transport) -> None:
    request_topic, request_bytes = capture("command-Bool_get_nested_request")
    reply_topic, reply_bytes = capture("command-Bool_get_nested_reply")
    request = decode_envelope(request_bytes)
    plain = transport.plain()
    inbox = plain.listen("edgex/core/command/request/#")
    seen: list[tuple[str, bytes, dict[str, str] | None]] = []

    def respond() -> None:
        seen.append(inbox.get(timeout=5))
        plain.publish_envelope(reply_topic, reply_bytes)

    responder = threading.Thread(target=respond)
    with transport.bus() as bus:
        responder.start()
        reply = bus.request(request_topic, request, reply_topic, timeout_s=5)
    responder.join()
    assert reply.request_id == request.request_id and reply.received_topic == reply_topic
    assert event_from_envelope(reply).event.source_name == "Bool"
    seen_topic, body, headers = seen[0]
    assert seen_topic == request_topic
    if headers is not None:
        assert (headers["RequestId"], headers["QueryParams"]) == (
            request.request_id,
            _one_query_param(request),
        )
    else:
        assert json.loads(body)["queryParams"] == dict(request.query_params)


def _one_query_param(request: MessageEnvelope) -> str:
    """nats-py's plain client keeps only the last of repeated headers: the last parameter sent."""
    return [f"{key}:{value}" for key, value in request.query_params.items()][-1]


def test_broker_down_at_start_logs_clearly_then_connects(
    transport: Transport, caplog: pytest.LogCaptureFixture
) -> None:
    topic, golden = capture("event-v4-bool")
    transport.broker.stop()
    got = Collector()
    bus = create_bus(transport.settings(), WireFormat())
    try:
        with caplog.at_level(logging.WARNING, logger="service.edgex.bus"):
            bus.connect()
            wait_until(lambda: any("unreachable" in r.getMessage() for r in caplog.records))
        assert not bus.connected
        with pytest.raises(BusUnavailable):
            bus.publish(topic, decode_envelope(golden))
        bus.subscribe([EVENTS], got.handler, got.on_error)  # recorded, applied once connected
        transport.broker.start()
        wait_until(lambda: bus.connected, timeout_s=10)
        plain = transport.plain()
        deadline = time.monotonic() + 10
        while got.messages.empty() and time.monotonic() < deadline:
            plain.publish_envelope(topic, golden)
            time.sleep(0.2)
        assert got.next(timeout_s=0.5)[0] == topic
    finally:
        bus.close()
    warning = next(r for r in caplog.records if "unreachable" in r.getMessage())
    assert str(transport.broker.port) in warning.getMessage()


@pytest.mark.parametrize("transport", ["redis"], indirect=True)
def test_redis_hash_subscription_also_gets_the_parent_channel(transport: Transport) -> None:
    _, golden = capture("event-v4-bool")
    got, exact = Collector(), Collector()
    with transport.bus() as bus:
        bus.subscribe(["edgex/events/#"], got.handler, got.on_error)
        bus.subscribe(["edgex/events/device/a/b/c/d"], exact.handler, exact.on_error)
        plain = transport.plain()
        plain.publish_envelope("edgex/events", golden)
        plain.publish_envelope("edgex/events/device/a/b/c/d", golden)
        topics = [got.next()[0], got.next()[0]]
        assert exact.next()[0] == "edgex/events/device/a/b/c/d"
        time.sleep(0.2)
    assert topics == ["edgex/events", "edgex/events/device/a/b/c/d"]
    assert got.messages.empty() and exact.messages.empty()  # each subscription got each message once


@pytest.mark.parametrize("transport", ["nats"], indirect=True)
def test_nats_headers_carry_every_query_param(transport: Transport) -> None:
    got = Collector()
    request = MessageEnvelope(
        correlation_id="c-1",
        request_id="r-1",
        query_params={"ds-pushevent": "false", "ds-returnevent": "true"},
    )
    with transport.bus() as receiver, transport.bus() as sender:
        receiver.subscribe(["edgex/core/command/request/#"], got.handler, got.on_error)
        sender.publish("edgex/core/command/request/dev/cmd/get", request)
        topic, envelope = got.next()
    assert topic == "edgex/core/command/request/dev/cmd/get"
    assert dict(envelope.query_params) == dict(request.query_params)
    assert (envelope.correlation_id, envelope.request_id, envelope.payload) == ("c-1", "r-1", None)


@pytest.mark.parametrize("bus_type", ["mqtt", "redis", "nats-core"])
def test_close_while_the_broker_is_unreachable_returns_promptly(bus_type: str) -> None:
    settings = BusSettings(
        type=bus_type, host="127.0.0.1", port=free_port(), reconnect_min_s=0.2, reconnect_max_s=1
    )
    before = set(threading.enumerate())  # threads of other tests' buses are not this test's concern
    bus = create_bus(settings, WireFormat())
    bus.connect()
    time.sleep(0.3)
    assert set(threading.enumerate()) - before, "connect() started no thread: nothing to check"
    started = time.monotonic()
    bus.close()
    assert time.monotonic() - started < 2.5
    assert not bus.connected
    assert not [t.name for t in set(threading.enumerate()) - before if t.is_alive()]
