"""What a stream camera's health change sends on: sensor readings for the rules and a health event.

Called on the camera's reader thread (StreamReader's on_health), once per state change:
- two SensorReadings of device <camera> go on the control queue: StreamState (String: connecting,
  online, stalled, offline) and Online (Bool), so a sensor rule fires on a camera going offline
  (`Sensors: [{Device: <camera>, Resource: Online, Op: eq, Value: false}]`) like on any sensor;
- one health event (device <camera>, profile app-vision-camera-health) goes into the outbox (kind
  "health"), published by its delivery thread like result events, so core-data keeps the history.
The reason and last error come redacted from the reader: no credentials leave here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from service.pipeline.actions.outbox import Outbox
from service.pipeline.actions.payloads import HealthPayload, write_payload
from service.pipeline.actions.plan import KIND_HEALTH
from service.pipeline.ingest.sensor_reading import SensorReading
from service.streams.health import HealthSnapshot, HealthState

LOG = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HealthOutputDeps:
    """Where health changes go and what they read."""

    outbox: Outbox
    submit: Callable[[SensorReading], None]  # onto the control queue
    on_enqueued: Callable[[str], None]  # wake the health delivery
    health_of: Callable[[str], HealthSnapshot | None]  # the reader's counters now
    analysed_of: Callable[[str], int]  # frames of the camera analysed so far
    clock: Callable[[], float]


class HealthOutput:
    """The on_health listener of every stream reader (thread-safe: the outbox and queue are)."""

    def __init__(self, deps: HealthOutputDeps) -> None:
        self._deps = deps

    def changed(self, camera: str, old: HealthState, new: HealthState, reason: str) -> None:
        """A reader's state changed from `old` to `new` (on the reader's thread)."""
        deps = self._deps
        now_s = deps.clock()
        origin_ns = round(now_s * 1e9)
        deps.submit(SensorReading(camera, "StreamState", "String", new.value, origin_ns, now_s))
        deps.submit(SensorReading(camera, "Online", "Bool", new is HealthState.ONLINE, origin_ns, now_s))
        health = deps.health_of(camera)
        payload = HealthPayload(
            camera=camera,
            origin=origin_ns,
            state=new.value,
            reason=reason,
            framesIn=health.packets_in if health is not None else 0,
            framesDecoded=health.frames_decoded if health is not None else 0,
            framesAnalysed=deps.analysed_of(camera),
            reconnects=health.reconnects if health is not None else 0,
            lastError=health.last_error if health is not None else "",
        )
        # A failing write raises into the reader's CameraHealth, which logs it: the reader goes on.
        queued = deps.outbox.enqueue(
            f"health/{camera}/{origin_ns}/{new.value}", KIND_HEALTH, "", write_payload(payload)
        )
        if queued:
            deps.on_enqueued(KIND_HEALTH)
