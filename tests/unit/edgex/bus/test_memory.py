"""The in-process bus: wildcard routing, wire encoding, decode errors, request, lifecycle."""

from __future__ import annotations

import queue
import threading

import pytest

from service.edgex.bus import BusUnavailable, MemoryBus, RequestTimeout
from service.edgex.envelope import EnvelopeForm, MessageEnvelope, decode_envelope, event_from_envelope
from service.edgex.errors import DecodeError, InvalidTopicPattern
from service.edgex.wire_format import WireFormat
from tests.shared_material import CAPTURES_DIR

CAPTURES = CAPTURES_DIR
TIMEOUT_S = 2.0


class Collector:
    """Handler + on_error that record what the bus delivered, and the delivering thread."""

    def __init__(self) -> None:
        self.messages: queue.Queue[tuple[str, MessageEnvelope]] = queue.Queue()
        self.errors: queue.Queue[tuple[str, Exception]] = queue.Queue()
        self.threads: set[str] = set()

    def handler(self, topic: str, envelope: MessageEnvelope) -> None:
        self.threads.add(threading.current_thread().name)
        self.messages.put((topic, envelope))

    def on_error(self, topic: str, exc: Exception) -> None:
        self.errors.put((topic, exc))

    def next(self) -> tuple[str, MessageEnvelope]:
        return self.messages.get(timeout=TIMEOUT_S)

    def topics(self, count: int) -> list[str]:
        return [self.next()[0] for _ in range(count)]


def capture(name: str) -> tuple[str, bytes]:
    return (CAPTURES / f"{name}.topic").read_text().strip(), (CAPTURES / f"{name}.bin").read_bytes()


def drain(bus: MemoryBus) -> None:
    """Wait until everything published so far was delivered (the bus delivers in order)."""
    done = threading.Event()
    bus.subscribe(["sync/marker"], lambda _t, _e: done.set(), lambda _t, _x: None)
    bus.publish("sync/marker", MessageEnvelope(correlation_id="sync/marker"))
    assert done.wait(TIMEOUT_S)
    bus.unsubscribe(["sync/marker"])


@pytest.mark.parametrize(
    ("pattern", "delivered"),
    [
        ("edgex/events/#", ["edgex/events", "edgex/events/device/a/b", "edgex/events/core/x"]),
        ("edgex/events/+/a/#", ["edgex/events/device/a/b"]),
        ("edgex/events/device/a/b", ["edgex/events/device/a/b"]),
        ("edgex/+", ["edgex/events"]),
        ("#", ["edgex/events", "edgex/events/device/a/b", "edgex/events/core/x", "other", "sync/marker"]),
    ],
)
def test_wildcards_follow_mqtt(bus: MemoryBus, pattern: str, delivered: list[str]) -> None:
    got = Collector()
    bus.subscribe([pattern], got.handler, got.on_error)
    for topic in ["edgex/events", "edgex/events/device/a/b", "edgex/events/core/x", "other"]:
        bus.publish(topic, MessageEnvelope(correlation_id=topic))
    drain(bus)
    received = [got.messages.get_nowait() for _ in range(got.messages.qsize())]
    assert [topic for topic, _ in received] == delivered
    assert all(env.received_topic == topic == env.correlation_id for topic, env in received)
    assert got.threads == {"bus-memory"}


@pytest.mark.parametrize("form", list(EnvelopeForm))
def test_publish_goes_through_the_wire_form(form: EnvelopeForm) -> None:
    bus = MemoryBus(WireFormat(form=form))
    bus.connect()
    got = Collector()
    topic, data = capture("event-v4-bool")
    bus.subscribe(["edgex/events/#"], got.handler, got.on_error)
    bus.publish(topic, decode_envelope(data))
    received_topic, envelope = got.next()
    bus.close()
    event = event_from_envelope(envelope).event
    assert received_topic == topic
    assert (event.device_name, event.readings[0].value_type) == ("Random-Boolean-Device", "Bool")
    assert isinstance(envelope.payload, bytes) == (form is EnvelopeForm.BASE64_JSON)


def test_garbage_goes_to_on_error_and_the_next_message_still_arrives(bus: MemoryBus) -> None:
    got = Collector()
    topic, data = capture("event-v4-bool")
    bus.subscribe(["edgex/events/#"], got.handler, got.on_error)
    bus.publish_raw(topic, b"\x00not an envelope")
    bus.publish_raw(topic, b'{"payload": "%%% not base64", "contentType": "application/json"}')
    bus.publish_raw(topic, data)
    assert got.next()[1].correlation_id == decode_envelope(data).correlation_id
    errors = [got.errors.get(timeout=TIMEOUT_S) for _ in range(2)]
    assert all(isinstance(exc, DecodeError) and err_topic == topic for err_topic, exc in errors)


def test_a_failing_handler_does_not_stop_delivery(bus: MemoryBus) -> None:
    got = Collector()

    def explode(_topic: str, _env: MessageEnvelope) -> None:
        raise RuntimeError("handler bug")

    bus.subscribe(["a/#"], explode, got.on_error)
    bus.subscribe(["a/b"], got.handler, got.on_error)
    bus.publish("a/b", MessageEnvelope())
    bus.publish("a/b", MessageEnvelope(request_id="second"))
    assert [got.next()[1].request_id for _ in range(2)] == ["", "second"]
    assert got.errors.empty()


def test_unsubscribe_stops_delivery(bus: MemoryBus) -> None:
    got = Collector()
    bus.subscribe(["x/#", "y/#"], got.handler, got.on_error)
    bus.unsubscribe(["x/#"])
    bus.publish("x/1", MessageEnvelope())
    bus.publish("y/1", MessageEnvelope())
    drain(bus)
    assert got.topics(1) == ["y/1"]
    assert got.messages.empty()


def test_invalid_pattern_is_refused(bus: MemoryBus) -> None:
    with pytest.raises(InvalidTopicPattern):
        bus.subscribe(["edgex/#/events"], Collector().handler, Collector().on_error)


def test_request_returns_the_reply(bus: MemoryBus) -> None:
    _, request_bytes = capture("command-Bool_get_nested_request")
    reply_topic, reply_bytes = capture("command-Bool_get_nested_reply")
    request = decode_envelope(request_bytes)

    def responder(_topic: str, env: MessageEnvelope) -> None:
        bus.publish_raw(reply_topic, reply_bytes)

    bus.subscribe(["edgex/core/command/request/#"], responder, lambda _t, _x: None)
    reply = bus.request("edgex/core/command/request/dev/Bool/get", request, reply_topic, timeout_s=TIMEOUT_S)
    assert reply.request_id == request.request_id == reply_topic.rsplit("/", 1)[1]
    assert reply.received_topic == reply_topic
    assert event_from_envelope(reply).event.source_name == "Bool"


def test_request_times_out_and_unsubscribes(bus: MemoryBus) -> None:
    got = Collector()
    with pytest.raises(RequestTimeout):
        bus.request("nobody/listens", MessageEnvelope(request_id="r1"), "edgex/response/x/r1", timeout_s=0.05)
    bus.subscribe(["edgex/response/#"], got.handler, got.on_error)
    bus.publish("edgex/response/x/r1", MessageEnvelope())
    drain(bus)
    assert got.topics(1) == ["edgex/response/x/r1"]  # only the live subscription got it


def test_request_raises_the_decode_error_of_a_bad_reply(bus: MemoryBus) -> None:
    def responder(_topic: str, _env: MessageEnvelope) -> None:
        bus.publish_raw("reply/1", b"garbage")

    bus.subscribe(["ask"], responder, lambda _t, _x: None)
    with pytest.raises(DecodeError):
        bus.request("ask", MessageEnvelope(), "reply/1", timeout_s=TIMEOUT_S)


def test_publish_needs_connect_and_fails_after_close() -> None:
    bus = MemoryBus(WireFormat())
    assert not bus.connected
    with pytest.raises(BusUnavailable):
        bus.publish("a", MessageEnvelope())
    bus.connect()
    assert bus.connected
    bus.close()
    bus.close()
    assert not bus.connected
    with pytest.raises(BusUnavailable):
        bus.publish("a", MessageEnvelope())
