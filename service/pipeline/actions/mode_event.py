"""Mode events: each mode switch as an EdgeX event of `app-vision-mode` (device app-vision, source Mode).

Readings Mode, PreviousMode (once there is one) and ModeSource (start, manual, schedule or sensor),
all String (device-profiles/app-vision-mode.yaml). As for result events, the outbox stores the
content, and each publish attempt builds an event with fresh ids.
"""

from __future__ import annotations

from dataclasses import replace

from service.edgex.dtos import AddEventRequest, Reading, new_add_event_request, new_event
from service.pipeline.actions.payloads import ModePayload
from service.pipeline.identity import MODE_PROFILE, MODE_SOURCE, RESULT_DEVICE


def build_mode_request(payload: ModePayload) -> AddEventRequest:
    """A new AddEventRequest (fresh event id and request id) from a stored payload."""
    origin = payload.origin
    readings = [Reading.simple("Mode", "String", payload.mode, origin=origin)]
    if payload.previous:  # no empty String reading: core-data requires a value
        readings.append(Reading.simple("PreviousMode", "String", payload.previous, origin=origin))
    readings.append(Reading.simple("ModeSource", "String", payload.source, origin=origin))
    event = new_event(RESULT_DEVICE, MODE_PROFILE, MODE_SOURCE, readings)
    return new_add_event_request(replace(event, origin=origin))
