"""EventIngress: bus messages and HTTP-triggered events take one path, counted once, correlation kept."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import replace

import pytest

from service.edgex.bus import MemoryBus
from service.edgex.dtos import AddEventRequest, Reading
from service.edgex.envelope import EnvelopeForm, MessageEnvelope, envelope_for_event
from service.edgex.event_types import new_event
from service.metrics import Metrics
from service.pipeline.identity import RESULT_DEVICE
from service.pipeline.ingest.frame import Frame
from service.pipeline.ingest.ingress import EventIngress
from service.pipeline.ingest.sensor_reading import SensorReading

EVENT_TOPIC = "edgex/events/device/device-virtual/camera/cam-1/Frame"


class Recorder:
    """The frame intake and the readings callback; raises for frames or readings of `fail_on`."""

    def __init__(self, fail_on: str = "") -> None:
        self.frames: list[Frame] = []
        self.readings: list[SensorReading] = []
        self.fail_on = fail_on
        self.arrived = threading.Event()

    def put_frame(self, frame: Frame) -> None:
        self._check(frame.camera)
        self.frames.append(frame)
        self.arrived.set()

    def reading(self, reading: SensorReading) -> None:
        self._check(reading.device)
        self.readings.append(reading)
        self.arrived.set()

    def _check(self, device: str) -> None:
        if device == self.fail_on:
            raise RuntimeError("pipeline failed")


def _request(device: str = "cam-1", binary: bool = False) -> AddEventRequest:
    reading = (
        Reading.binary("Frame", b"\xff\xd8jpeg", "image/jpeg")
        if binary
        else Reading.simple("On", "Bool", True)
    )
    return AddEventRequest(
        request_id=str(uuid.uuid4()), event=new_event(device, "camera", "Frame", [reading])
    )


def _sample(metrics: Metrics, name: str, labels: dict[str, str]) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


def _ingress(recorder: Recorder, metrics: Metrics, prefix: str = "edgex") -> EventIngress:
    return EventIngress(recorder, recorder.reading, metrics, prefix)


@pytest.mark.parametrize("binary", [False, True])
def test_decoded_bus_events_reach_the_pipeline(bus: MemoryBus, binary: bool) -> None:
    recorder, metrics = Recorder(), Metrics()
    ingress = _ingress(recorder, metrics)
    bus.subscribe(["edgex/events/#"], ingress.on_envelope, ingress.on_error)
    req = _request(binary=binary)
    envelope = envelope_for_event(req, EnvelopeForm.NESTED_JSON)
    bus.publish(EVENT_TOPIC, envelope)
    assert recorder.arrived.wait(3)
    assert (len(recorder.frames), len(recorder.readings)) == ((1, 0) if binary else (0, 1))
    if binary:
        frame = recorder.frames[0]
        assert (frame.camera, frame.event_id, frame.correlation_id) == (
            "cam-1",
            req.event.id,
            envelope.correlation_id,
        )
    assert _sample(metrics, "messages_received_total", {"topic_kind": "events"}) == 1


@pytest.mark.parametrize(
    ("publish", "reason"),
    [
        (lambda bus: bus.publish_raw(EVENT_TOPIC, b"\x00garbage"), "envelope"),
        (lambda bus: bus.publish_raw(EVENT_TOPIC, b'{"apiVersion":"v3","payload":{"x":1}'), "envelope"),
        (lambda bus: bus.publish(EVENT_TOPIC, MessageEnvelope(payload={"not": "an event"})), "event"),
        (lambda bus: bus.publish(EVENT_TOPIC, MessageEnvelope(error_code=1, payload="boom")), "event"),
    ],
)
def test_undecodable_messages_are_counted_and_dropped(
    bus: MemoryBus, publish: Callable[[MemoryBus], None], reason: str
) -> None:
    recorder, metrics = Recorder(), Metrics()
    ingress = _ingress(recorder, metrics)
    bus.subscribe(["edgex/events/#"], ingress.on_envelope, ingress.on_error)
    publish(bus)
    good = _request(binary=True)
    bus.publish(EVENT_TOPIC, envelope_for_event(good, EnvelopeForm.NESTED_JSON))
    assert recorder.arrived.wait(3), "the service stopped consuming after a bad message"
    assert [f.event_id for f in recorder.frames] == [good.event.id]
    assert _sample(metrics, "invalid_messages_total", {"reason": reason}) == 1
    assert _sample(metrics, "messages_received_total", {"topic_kind": "events"}) == 2


def test_a_failing_pipeline_does_not_stop_consumption(bus: MemoryBus) -> None:
    recorder, metrics = Recorder(fail_on="bad-cam"), Metrics()
    ingress = _ingress(recorder, metrics)
    bus.subscribe(["edgex/events/#"], ingress.on_envelope, ingress.on_error)
    bus.publish(EVENT_TOPIC, envelope_for_event(_request("bad-cam"), EnvelopeForm.NESTED_JSON))
    bus.publish(EVENT_TOPIC, envelope_for_event(_request(), EnvelopeForm.NESTED_JSON))
    assert recorder.arrived.wait(3)
    assert _sample(metrics, "invalid_messages_total", {"reason": "processing"}) == 1


def test_triggered_events_take_the_same_path_and_are_counted_as_trigger() -> None:
    recorder, metrics = Recorder(fail_on="bad-cam"), Metrics()
    ingress = _ingress(recorder, metrics)
    req = _request(binary=True)
    ingress.handle_event(req, "", "corr-1")
    assert [(f.event_id, f.correlation_id) for f in recorder.frames] == [(req.event.id, "corr-1")]
    with pytest.raises(RuntimeError, match="pipeline failed"):  # the route answers 500
        ingress.handle_event(_request("bad-cam"), "", "corr-2")
    ingress.reject_event("", "invalid JSON")
    assert _sample(metrics, "messages_received_total", {"topic_kind": "trigger"}) == 3
    assert _sample(metrics, "invalid_messages_total", {"reason": "processing"}) == 1
    assert _sample(metrics, "invalid_messages_total", {"reason": "event"}) == 1


def test_own_result_events_are_ignored_and_unusable_readings_counted() -> None:
    recorder, metrics = Recorder(), Metrics()
    ingress = _ingress(recorder, metrics)
    own = AddEventRequest(
        request_id="",
        event=new_event(RESULT_DEVICE, "app-vision-result", "Alert", [Reading.simple("On", "Bool", True)]),
    )
    ingress.handle_event(own, "edgex/events/device/app-vision/app-vision-result/app-vision/Alert")
    pdf = Reading.binary("Doc", b"%PDF", "application/pdf")
    ingress.handle_event(AddEventRequest(request_id="", event=new_event("cam-1", "camera", "Doc", [pdf])), "")
    assert recorder.frames == [] and recorder.readings == []
    assert _sample(metrics, "decode_errors_total", {"kind": "reading"}) == 1
    assert _sample(metrics, "messages_received_total", {"topic_kind": "events"}) == 1


@pytest.mark.parametrize(
    ("prefix", "topic", "kind"),
    [
        ("edgex", "edgex/events/device/a/b/c/d", "events"),
        ("edgex", "edgex/system-events/core-metadata/device/add", "system-events"),
        ("", "events/x", "events"),
        ("edgex", "other/x", "other"),
        ("edgex", "", "unknown"),
    ],
)
def test_topic_kind(prefix: str, topic: str, kind: str) -> None:
    assert _ingress(Recorder(), Metrics(), prefix).topic_kind(topic) == kind


def test_an_event_edgex_validation_refuses_is_dropped_as_invalid(bus: MemoryBus) -> None:
    recorder, metrics = Recorder(), Metrics()
    ingress = _ingress(recorder, metrics)
    bus.subscribe(["edgex/events/#"], ingress.on_envelope, ingress.on_error)
    bad = _request(binary=True)
    bad = AddEventRequest(request_id=bad.request_id, event=replace(bad.event, origin=0))
    bus.publish(EVENT_TOPIC, envelope_for_event(bad, EnvelopeForm.NESTED_JSON))
    good = _request(binary=True)
    bus.publish(EVENT_TOPIC, envelope_for_event(good, EnvelopeForm.NESTED_JSON))
    assert recorder.arrived.wait(3)
    assert [f.event_id for f in recorder.frames] == [good.event.id]
    assert _sample(metrics, "invalid_messages_total", {"reason": "event"}) == 1
