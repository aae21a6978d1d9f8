"""EdgeX's DTO validation of an incoming AddEventRequest, as an EdgeX service applies it on receipt.

go-mod-core-contracts v4 validates while it unmarshals (`AddEventRequest.Validate`: the struct tags
of AddEventRequest, Event and BaseReading, then each reading's own checks), so an app service
built on the SDK never sees an event that fails them. The messages are the library's
(`common/validator.go`), joined with "; " as it joins them.

Two checks are left out on purpose: `apiVersion` (the decoder does not keep it) and the value of
each simple reading against its valueType (one unreadable value is counted by the pipeline for
that reading alone; the event's other readings, a camera frame among them, are still used).
"""

from __future__ import annotations

import re

from service.edgex.errors import PayloadDecodeError
from service.edgex.event_types import AddEventRequest, Reading
from service.edgex.values import BINARY_TYPE

_FAILED_ON = "field validation failed on the"  # validator.go's message for tags it has no text for


class EventInvalid(PayloadDecodeError):
    """The event decoded but EdgeX's DTO validation refuses it (the message names the fields)."""


def validate_add_event_request(req: AddEventRequest) -> None:
    """Raise EventInvalid unless `req` passes EdgeX's AddEventRequest validation."""
    errors: list[str] = []
    root = "AddEventRequest"
    if req.request_id and not _is_uuid(req.request_id):
        errors.append(
            f"{root}.BaseRequest.RequestId field validation failed on the len=0|uuid tag with value ''"
        )
    event = req.event
    path = f"{root}.Event"
    if not event.id:
        errors.append(f"{path}.Id field is required")
    elif not _is_uuid(event.id):
        errors.append(f"{path}.Id field needs a uuid")
    for field, value in (
        ("DeviceName", event.device_name),
        ("ProfileName", event.profile_name),
        ("SourceName", event.source_name),
    ):
        _name(errors, f"{path}.{field}", value)
    if not event.origin:
        errors.append(f"{path}.Origin field is required")
    if not event.readings:
        errors.append(f"{path}.Readings field should greater than 0")
    for index, reading in enumerate(event.readings):
        _reading(errors, f"{path}.Readings[{index}]", reading)
    if not errors:  # the readings' own checks run once the tags pass, as BaseReading.Validate does
        for reading in event.readings:
            if reading.value_type == BINARY_TYPE and reading.binary_value and not reading.media_type:
                errors.append(
                    f"BinaryReading.MediaType {_FAILED_ON} required_with tag with value 'BinaryValue'"
                )
    if errors:
        raise EventInvalid("; ".join(errors))


def _reading(errors: list[str], path: str, reading: Reading) -> None:
    if not reading.origin:
        errors.append(f"{path}.Origin field is required")
    for field, value in (
        ("DeviceName", reading.device_name),
        ("ResourceName", reading.resource_name),
        ("ProfileName", reading.profile_name),
    ):
        _name(errors, f"{path}.{field}", value)


def _name(errors: list[str], path: str, value: str) -> None:
    if not value:
        errors.append(f"{path} field is required")
    elif not value.strip():
        errors.append(f"{path} field should not be empty string")


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")  # validator's `uuid`


def _is_uuid(text: str) -> bool:
    return _UUID.fullmatch(text) is not None
