"""Ingest: image readings become frames, other readings typed sensor readings, own results skipped."""

from __future__ import annotations

from dataclasses import replace

import pytest

from service.edgex.dtos import Reading, new_add_event_request, new_event
from service.pipeline.ingest.event_split import split_event


def event(device: str, *readings: Reading) -> object:
    return new_add_event_request(new_event(device, "profile", "source", list(readings)))


def test_jpeg_and_png_readings_become_frames_of_the_device() -> None:
    req = event(
        "cam-1",
        Reading.binary("jpeg", b"\xff\xd8jpeg", "image/jpeg"),
        Reading.binary("png", b"\x89PNG", "image/png; charset=binary"),
    )
    out = split_event(req, 123, "corr")  # type: ignore[arg-type]
    assert [(f.camera, f.media_type, f.data) for f in out.frames] == [
        ("cam-1", "image/jpeg", b"\xff\xd8jpeg"),
        ("cam-1", "image/png", b"\x89PNG"),
    ]
    frame = out.frames[0]
    assert frame.received_ns == 123 and frame.correlation_id == "corr" and frame.origin_ns > 0
    assert frame.event_id == req.event.id  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("reading", "value"),
    [
        (Reading.simple("Motion", "Bool", True), True),
        (Reading.simple("Count", "Int32", 42), 42),
        (Reading.simple("Temp", "Float32", 21.5), 21.5),
        (Reading.simple("State", "String", "open"), "open"),
        (Reading.simple("Flags", "BoolArray", [True, False]), "[true, false]"),
        (Reading.object("Info", {"b": 1, "a": 2}), '{"a": 2, "b": 1}'),
        (Reading.simple("Motion", "Bool", None), None),
    ],
)
def test_sensor_values_are_typed(reading: Reading, value: object) -> None:
    out = split_event(event("pir", reading), 2_000_000_000)  # type: ignore[arg-type]
    assert len(out.readings) == 1
    got = out.readings[0]
    assert (got.device, got.resource, got.value, got.received_s) == ("pir", reading.resource_name, value, 2.0)


def test_unusable_readings_are_reported() -> None:
    bad_bool = replace(Reading.simple("Motion", "String", "maybe"), value_type="Bool")
    blob = Reading.binary("blob", b"\x00", "application/octet-stream")
    out = split_event(event("x", blob, bad_bool), 1)  # type: ignore[arg-type]
    assert out.frames == () and out.readings == () and len(out.invalid) == 2


def test_our_own_result_events_are_skipped() -> None:
    out = split_event(event("app-vision", Reading.simple("AlertState", "String", "new")), 1)  # type: ignore[arg-type]
    assert out.own_result and out.readings == ()
