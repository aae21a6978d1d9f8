"""EdgeX event DTOs and their wire codecs: the public names of the event model.

Types live in `event_types`, JSON/CBOR (de)serialisation in `event_codec`; this module only
re-exports them under the agreed names (see /work/brief/INTERFACES.md).
"""

from service.edgex.errors import ReadingValueError
from service.edgex.event_codec import (
    add_event_request_to_cbor,
    add_event_request_to_json,
    decode_event_payload,
    event_from_mapping,
    event_to_json,
)
from service.edgex.event_types import (
    API_VERSION,
    AddEventRequest,
    Event,
    JsonValue,
    Reading,
    Tags,
    backfill_readings,
    new_add_event_request,
    new_event,
)

__all__ = [
    "API_VERSION",
    "AddEventRequest",
    "Event",
    "JsonValue",
    "Reading",
    "ReadingValueError",
    "Tags",
    "add_event_request_to_cbor",
    "add_event_request_to_json",
    "backfill_readings",
    "decode_event_payload",
    "event_from_mapping",
    "event_to_json",
    "new_add_event_request",
    "new_event",
]
