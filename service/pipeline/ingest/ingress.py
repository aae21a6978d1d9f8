"""The one way events come in: the bus subscription and the HTTP trigger both end here.

Every message is counted once as messages_received_total{kind} (the topic level under the base
prefix, e.g. "events"; "trigger" for POST /api/v3/trigger) and, when unusable, once as
invalid_messages_total{reason}: "envelope" (undecodable message), "event" (no AddEventRequest in
it), "processing" (ingesting it failed). The message's correlation id travels with its frames
(to the result event and the logs). Frames go to the frame intake (the camera table), sensor
readings to the control loop; our own result events, which come back on edgex/events/#, are
ignored. This is the bus edge: nothing here raises into the bus client.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

from service.edgex.dtos import AddEventRequest
from service.edgex.envelope import MessageEnvelope, event_from_envelope
from service.edgex.errors import DecodeError
from service.edgex.event_validation import validate_add_event_request
from service.metrics import Children, Metrics
from service.pipeline.ingest.event_split import split_event
from service.pipeline.ingest.frame import Frame
from service.pipeline.ingest.sensor_reading import SensorReading

LOG = logging.getLogger(__name__)
TRIGGER = "trigger"  # the messages_received_total kind of HTTP-triggered events


class FrameIntake(Protocol):
    """Where frames go (the camera table: counts them and fills the camera's slot)."""

    def put_frame(self, frame: Frame) -> None: ...


class EventIngress:
    """Thread-safe: the bus thread and the REST thread pool call it concurrently."""

    def __init__(
        self,
        frames: FrameIntake,
        readings: Callable[[SensorReading], None],
        metrics: Metrics,
        base_prefix: str,
        clock_ns: Callable[[], int] = time.time_ns,
    ) -> None:
        self._frames = frames
        self._readings = readings
        self._clock_ns = clock_ns
        self._received = Children(metrics.messages_received_total)  # few kinds: events, system-events ...
        self._invalid = Children(metrics.invalid_messages_total)  # reasons: envelope, event, processing
        self._unusable_reading = metrics.decode_errors_total.labels("reading")
        self._base_prefix = base_prefix.strip("/")

    def on_envelope(self, topic: str, envelope: MessageEnvelope) -> None:
        """A bus message (the subscription's handler)."""
        self._received(self.topic_kind(topic)).inc()
        try:
            req = event_from_envelope(envelope)
            validate_add_event_request(req)  # as an SDK service does on receipt
        except DecodeError as exc:
            self._invalid("event").inc()
            LOG.warning(
                "dropped undecodable event on %s (correlation %s): %s", topic, envelope.correlation_id, exc
            )
            return
        try:
            self._ingest(req, envelope.correlation_id)
        except Exception:  # the bus edge: log once, count, keep consuming
            self._invalid("processing").inc()
            LOG.exception(
                "event %s on %s (correlation %s) failed", req.event.id, topic, envelope.correlation_id
            )

    def on_error(self, topic: str, exc: Exception) -> None:
        """A bus message that is not an envelope (the subscription's error handler)."""
        self._received(self.topic_kind(topic)).inc()
        self._invalid("envelope").inc()
        LOG.warning("dropped undecodable message on %s: %s", topic, exc)

    def handle_event(self, req: AddEventRequest, received_topic: str, correlation_id: str = "") -> None:
        """An event decoded elsewhere (the HTTP trigger); a failure is counted, then raised."""
        self._received(self._kind(received_topic)).inc()
        try:
            self._ingest(req, correlation_id)
        except Exception:
            self._invalid("processing").inc()
            raise

    def reject_event(self, received_topic: str, reason: str, correlation_id: str = "") -> None:
        """A message that carried no usable event (the HTTP trigger could not decode its body)."""
        self._received(self._kind(received_topic)).inc()
        self._invalid("event").inc()
        LOG.warning(
            "dropped undecodable event from %s (correlation %s): %s",
            received_topic or TRIGGER,
            correlation_id or "-",
            reason,
        )

    def topic_kind(self, topic: str) -> str:
        """The first topic level under the base prefix ('events', 'system-events', ...)."""
        levels = topic.split("/")
        if self._base_prefix and levels[0] == self._base_prefix:
            levels = levels[1:]
        return levels[0] if levels and levels[0] else "unknown"

    def _kind(self, received_topic: str) -> str:
        """The messages_received_total kind of an event handed in ("" = the HTTP trigger)."""
        return self.topic_kind(received_topic) if received_topic else TRIGGER

    def _ingest(self, req: AddEventRequest, correlation_id: str) -> None:
        ingested = split_event(req, self._clock_ns(), correlation_id)
        for reason in ingested.invalid:
            self._unusable_reading.inc()
            LOG.debug(
                "event %s from %s (correlation %s): unusable reading: %s",
                req.event.id,
                req.event.device_name,
                correlation_id or "-",
                reason,
            )
        for frame in ingested.frames:
            self._frames.put_frame(frame)
        for reading in ingested.readings:
            self._readings(reading)
