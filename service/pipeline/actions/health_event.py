"""Camera health events: a stream camera's state change as an EdgeX event of `app-vision-camera-health`.

Device = the camera, source StreamHealth, readings StreamState (String), Online (Bool), Reason and
LastError (String; LastError once there is one), FramesIn, FramesDecoded, FramesAnalysed and
Reconnects (Int64) (device-profiles/app-vision-camera-health.yaml). As for result events, the
outbox stores the content, and each publish attempt builds an event with fresh ids.
"""

from __future__ import annotations

from dataclasses import replace

from service.edgex.dtos import AddEventRequest, Reading, new_add_event_request, new_event
from service.pipeline.actions.payloads import HealthPayload
from service.pipeline.identity import HEALTH_PROFILE, HEALTH_SOURCE


def build_health_request(payload: HealthPayload) -> AddEventRequest:
    """A new AddEventRequest (fresh event id and request id) from a stored payload."""
    origin = payload.origin
    readings = [
        Reading.simple("StreamState", "String", payload.state, origin=origin),
        Reading.simple("Online", "Bool", payload.state == "online", origin=origin),
        Reading.simple("Reason", "String", payload.reason or payload.state, origin=origin),
        Reading.simple("FramesIn", "Int64", payload.framesIn, origin=origin),
        Reading.simple("FramesDecoded", "Int64", payload.framesDecoded, origin=origin),
        Reading.simple("FramesAnalysed", "Int64", payload.framesAnalysed, origin=origin),
        Reading.simple("Reconnects", "Int64", payload.reconnects, origin=origin),
    ]
    if payload.lastError:  # no empty String reading: core-data requires a value
        readings.append(Reading.simple("LastError", "String", payload.lastError, origin=origin))
    event = new_event(payload.camera, HEALTH_PROFILE, HEALTH_SOURCE, readings)
    # Changed at origin, published maybe later (the bus was down): core-data keeps the change's time.
    return new_add_event_request(replace(event, origin=origin))
