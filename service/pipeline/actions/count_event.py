"""Analytics events: a zone's or line's counts as an EdgeX event of profile `app-vision-analytics`.

Device `<camera>.<name>` (identity.analytics_device), source ZoneCounts or LineCounts, numeric
readings (Int64 counts, Float64 dwell seconds) and one Object reading per crossing, entry or exit
since the last event of that device (device-profiles/app-vision-analytics.yaml). As for result
events, the outbox stores the content, and each publish attempt builds an event with fresh ids.
"""

from __future__ import annotations

from dataclasses import replace

from service.edgex.dtos import AddEventRequest, Reading, new_add_event_request, new_event
from service.pipeline.actions.payloads import CountPayload
from service.pipeline.identity import ANALYTICS_PROFILE


def build_count_request(payload: CountPayload) -> AddEventRequest:
    """A new AddEventRequest (fresh event id and request id) from a stored payload."""
    readings = [
        Reading.simple(n.resource, n.valueType, n.value, origin=payload.origin) for n in payload.numbers
    ]
    readings.extend(Reading.object(o.resource, dict(o.value), origin=payload.origin) for o in payload.objects)
    event = new_event(payload.device, ANALYTICS_PROFILE, payload.source, readings)
    # Counted at origin, published maybe later (the bus was down): core-data's series keeps the count time.
    return new_add_event_request(replace(event, origin=payload.origin))
