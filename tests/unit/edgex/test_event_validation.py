"""validate_add_event_request: EdgeX's AddEventRequest DTO checks, with go-mod-core-contracts' messages."""

from __future__ import annotations

from dataclasses import replace

import pytest

from service.edgex.errors import DecodeError
from service.edgex.event_types import AddEventRequest, Reading, new_add_event_request, new_event
from service.edgex.event_validation import EventInvalid, validate_add_event_request


def valid() -> AddEventRequest:
    return new_add_event_request(
        new_event("cam-1", "camera", "Frame", [Reading.binary("Frame", b"\xff\xd8", "image/jpeg")])
    )


def with_event(**changes: object) -> AddEventRequest:
    req = valid()
    return replace(req, event=replace(req.event, **changes))


def test_a_device_service_event_passes() -> None:
    validate_add_event_request(valid())
    validate_add_event_request(replace(valid(), request_id=""))  # len=0 is allowed


@pytest.mark.parametrize(
    ("req", "message"),
    [
        (with_event(origin=0), "AddEventRequest.Event.Origin field is required"),
        (with_event(readings=()), "AddEventRequest.Event.Readings field should greater than 0"),
        (with_event(id="not-a-uuid"), "AddEventRequest.Event.Id field needs a uuid"),
        (
            with_event(id="6F1D5A38-2F4E-4D55-9A43-1C7E0F0B9A11"),
            "AddEventRequest.Event.Id field needs a uuid",
        ),
        (with_event(id=""), "AddEventRequest.Event.Id field is required"),
        (with_event(device_name=""), "AddEventRequest.Event.DeviceName field is required"),
        (with_event(source_name="  "), "AddEventRequest.Event.SourceName field should not be empty string"),
        (replace(valid(), request_id="42"), "AddEventRequest.BaseRequest.RequestId field validation failed"),
    ],
)
def test_what_edgex_refuses_is_refused_with_its_message(req: AddEventRequest, message: str) -> None:
    with pytest.raises(EventInvalid, match="^" + message.replace(".", r"\.")) as caught:
        validate_add_event_request(req)
    assert isinstance(caught.value, DecodeError)  # counted as invalid{event}, 400 on the trigger


def test_reading_fields_and_errors_are_joined_as_the_validator_joins_them() -> None:
    req = valid()
    reading = replace(req.event.readings[0], origin=0, resource_name="")
    bad = replace(req, event=replace(req.event, origin=0, readings=(reading,)))
    with pytest.raises(EventInvalid) as caught:
        validate_add_event_request(bad)
    assert str(caught.value) == (
        "AddEventRequest.Event.Origin field is required; "
        "AddEventRequest.Event.Readings[0].Origin field is required; "
        "AddEventRequest.Event.Readings[0].ResourceName field is required"
    )


def test_a_binary_reading_needs_its_media_type() -> None:
    req = valid()
    reading = replace(req.event.readings[0], media_type="")
    with pytest.raises(
        EventInvalid, match=r"BinaryReading\.MediaType field validation failed on the required_with"
    ):
        validate_add_event_request(replace(req, event=replace(req.event, readings=(reading,))))
