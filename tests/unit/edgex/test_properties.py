"""Property-based tests (hypothesis) over random events, readings, values and topics."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from service.edgex.dtos import (
    AddEventRequest,
    Event,
    JsonValue,
    Reading,
    add_event_request_to_cbor,
    decode_event_payload,
)
from service.edgex.envelope import (
    EnvelopeForm,
    decode_envelope,
    encode_envelope,
    envelope_for_event,
    event_from_envelope,
)
from service.edgex.topics import event_topic, parse_event_topic, topic_matches
from service.edgex.values import INTEGER_TYPES

FAST = settings(max_examples=60, deadline=None)
names = st.text(min_size=1, max_size=12)
origins = st.integers(min_value=1, max_value=2**63 - 1)
json_values: st.SearchStrategy[JsonValue] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.text(max_size=8)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


def _simple(draw: st.DrawFn) -> Reading:
    kind = draw(
        st.sampled_from(
            [
                "Bool",
                "String",
                "Int64",
                "Uint8",
                "Float64",
                "BoolArray",
                "Int32Array",
                "StringArray",
                "Float32Array",
            ]
        )
    )
    strategies: dict[str, st.SearchStrategy[Any]] = {
        "Bool": st.booleans(),
        "String": st.text(max_size=10),
        "Int64": st.integers(-(2**63), 2**63 - 1),
        "Uint8": st.integers(0, 255),
        "Float64": st.floats(allow_nan=False),
        "BoolArray": st.lists(st.booleans(), max_size=4),
        "Int32Array": st.lists(st.integers(-(2**31), 2**31 - 1), max_size=4),
        "StringArray": st.lists(st.text(max_size=5), max_size=3),
        "Float32Array": st.lists(st.floats(-1e30, 1e30), max_size=3),
    }
    value = strategies[kind]
    return Reading.simple(
        draw(names), kind, draw(st.none() | value), origin=draw(origins), units=draw(st.text(max_size=3))
    )


@st.composite
def readings(draw: st.DrawFn) -> Reading:
    kind = draw(st.sampled_from(["simple", "binary", "object"]))
    tags = draw(st.dictionaries(st.text(max_size=4), json_values, max_size=2))
    if kind == "binary":
        return Reading.binary(
            draw(names),
            draw(st.none() | st.binary(max_size=64)),
            draw(st.sampled_from(["image/jpeg", "image/png", "random"])),
            origin=draw(origins),
            tags=tags,
        )
    if kind == "object":
        obj = draw(
            st.dictionaries(st.text(max_size=5), json_values, max_size=3) | st.lists(json_values, max_size=3)
        )
        return Reading.object(draw(names), obj, origin=draw(origins), tags=tags)
    return _simple(draw)


@st.composite
def requests_(draw: st.DrawFn) -> AddEventRequest:
    event = Event(
        id=draw(st.uuids()).hex,
        device_name=draw(names),
        profile_name=draw(names),
        source_name=draw(names),
        origin=draw(origins),
        readings=tuple(draw(st.lists(readings(), min_size=1, max_size=4))),
        tags=draw(st.dictionaries(st.text(max_size=4), json_values, max_size=2)),
    )
    filled = tuple(
        Reading(
            r.id,
            r.origin,
            event.device_name,
            r.resource_name,
            event.profile_name,
            r.value_type,
            r.value,
            r.binary_value,
            r.media_type,
            r.object_value,
            r.units,
            r.tags,
        )
        for r in event.readings
    )
    return AddEventRequest(
        str(draw(st.uuids())),
        Event(
            event.id,
            event.device_name,
            event.profile_name,
            event.source_name,
            event.origin,
            filled,
            event.tags,
        ),
    )


def _plain(req: AddEventRequest) -> object:
    """Compare DTOs structurally (tags are read-only mappings)."""
    return (
        [
            (r.id, r.origin, r.value_type, r.value, r.binary_value, r.object_value, r.units, dict(r.tags))
            for r in req.event.readings
        ],
        req.event.origin,
        dict(req.event.tags),
        req.request_id,
    )


@FAST
@given(requests_(), st.sampled_from(list(EnvelopeForm)), st.booleans())
def test_events_round_trip_through_every_envelope_form(
    req: AddEventRequest, form: EnvelopeForm, all_cbor: bool
) -> None:
    wire = encode_envelope(envelope_for_event(req, form, cbor_all_events=all_cbor), form)
    back = event_from_envelope(decode_envelope(wire))
    assert _plain(back) == _plain(req)
    assert back.event.origin == req.event.origin  # ints stay exact on every path


@FAST
@given(requests_())
def test_cbor_round_trip(req: AddEventRequest) -> None:
    assert _plain(decode_event_payload(add_event_request_to_cbor(req), "application/cbor")) == _plain(req)


@FAST
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_values_survive_go_formatting_to_7_digits(value: float) -> None:
    parsed = Reading.simple("f", "Float64", value).as_float()
    assert math.isclose(parsed, value, rel_tol=5e-7, abs_tol=0.0) or parsed == value


@FAST
@given(st.sampled_from(sorted(INTEGER_TYPES)), st.integers(-(2**63), 2**64 - 1))
def test_integer_values_are_exact(value_type: str, value: int) -> None:
    assert Reading.simple("i", value_type, value).as_int() == value


@FAST
@given(st.lists(st.text(min_size=1, alphabet=st.characters(codec="utf-8")), min_size=4, max_size=4))
def test_escaped_topics_parse_back_to_the_names(levels: list[str]) -> None:
    topic = event_topic("edgex", *levels, escape=True)
    parsed = parse_event_topic(topic)
    assert [parsed.service, parsed.profile, parsed.device, parsed.source] == levels
    assert "#" not in topic and "+" not in topic and topic.count("/") == 6


@FAST
@given(st.lists(st.text(alphabet="abc", max_size=3), min_size=1, max_size=6), st.data())
def test_plus_and_hash_patterns_match_their_topic(levels: list[str], data: st.DataObject) -> None:
    topic = "/".join(levels)
    pattern = [("+" if data.draw(st.booleans()) else lvl) for lvl in levels]
    assert topic_matches("/".join(pattern), topic)
    cut = data.draw(st.integers(0, len(levels)))
    assert topic_matches("/".join([*pattern[:cut], "#"]), topic)
    assert not topic_matches("/".join([*pattern, "x"]), topic)
