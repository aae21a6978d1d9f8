"""Topic scheme: build, Go URLEncode escaping, strict unescaping, parsing, wildcard matching."""

from __future__ import annotations

from typing import Any

import pytest

from service.edgex.errors import InvalidTopicPattern, TopicError
from service.edgex.topics import (
    EventTopic,
    command_request_topic,
    command_response_topic,
    escape_name,
    event_topic,
    parse_event_topic,
    topic_matches,
)


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("Random-Boolean-Device", "Random%2DBoolean%2DDevice"),
        ("cam.01_a~b", "cam%2E01%5Fa%7Eb"),
        ("a/b", "a%2Fb"),
        ("a+b#c", "a%2Bb%23c"),
        ("space here", "space%20here"),
        ("x:y=z@w$&", "x:y=z@w$&"),  # Go PathEscape keeps these in a path segment
        ("semi;comma,q?", "semi%3Bcomma%2Cq%3F"),
        ("caméra", "cam%C3%A9ra"),
        ("100%", "100%25"),
    ],
)
def test_escape_name_follows_go_urlencode(name: str, escaped: str) -> None:
    assert escape_name(name) == escaped


def test_event_topic_escapes_only_when_enabled() -> None:
    raw = event_topic("edgex", "device-onvif", "cam.profile", "front door", "Snapshot", escape=False)
    assert raw == "edgex/events/device/device-onvif/cam.profile/front door/Snapshot"
    escaped = event_topic("edgex", "device-onvif", "cam.profile", "front door", "Snapshot", escape=True)
    assert escaped == "edgex/events/device/device%2Donvif/cam%2Eprofile/front%20door/Snapshot"
    assert parse_event_topic(escaped) == parse_event_topic(raw)


def test_parse_capture_topics(captures: dict[str, Any]) -> None:
    parsed = parse_event_topic(captures["event-v4-binary-cbor"].topic)
    assert parsed == EventTopic(
        "edgex", "device", "device-virtual", "Random-Binary-Device", "Random-Binary-Device", "Binary"
    )
    for cap in captures.values():
        if cap.name.startswith("event-"):
            assert parse_event_topic(cap.topic).service in {"device-virtual", "device-rest"}


@pytest.mark.parametrize(
    "topic",
    [
        "edgex/events/device/a/b/c",
        "edgex/other/device/s/p/d/src",
        "edgex/events/weird/s/p/d/src",
        "edgex/events/device/s/p/d%zz/src",
        "edgex/events/device/s/p/d%4/src",
        "edgex/events/device/s/p/%ff/src",
    ],
)
def test_parse_rejects_non_event_topics_and_bad_escapes(topic: str) -> None:
    with pytest.raises(TopicError):
        parse_event_topic(topic)


def test_core_data_republish_and_custom_base() -> None:
    parsed = parse_event_topic("my/prefix/events/core/core-data/p/d/s")
    assert (parsed.base, parsed.kind, parsed.service) == ("my/prefix", "core", "core-data")
    assert event_topic("", "s", "p", "d", "x", escape=False) == "events/device/s/p/d/x"


def test_command_topics(captures: dict[str, Any]) -> None:
    assert (
        command_request_topic("edgex", "Random-Boolean-Device", "Bool", "get")
        == captures["command-Bool_get_nested_request"].topic
    )
    assert (
        command_response_topic("edgex", "2a2666f6-7544-4980-98fe-e3303df53eea")
        == captures["command-Bool_get_nested_reply"].topic
    )
    assert (
        command_request_topic("edgex", "a.b", "c d", "set", escape=True)
        == "edgex/core/command/request/a%2Eb/c%20d/set"
    )
    with pytest.raises(ValueError):
        command_request_topic("edgex", "d", "c", "put")


@pytest.mark.parametrize(
    ("pattern", "topic", "matches"),
    [
        ("edgex/events/#", "edgex/events/device/s/p/d/src", True),
        ("edgex/events/#", "edgex/events", True),
        ("edgex/events/#", "edgex/eventsX/a", False),
        ("#", "anything/at/all", True),
        ("edgex/events/device/+/+/cam-01/+", "edgex/events/device/s/p/cam-01/Snap", True),
        ("edgex/events/device/+/+/cam-01/+", "edgex/events/device/s/p/cam-02/Snap", False),
        ("edgex/events/device/+", "edgex/events/device/s/p", False),
        ("edgex/+/x", "edgex//x", True),
        ("a/b", "a/b", True),
        ("a/b", "a/b/c", False),
        ("a/b/c", "a/b", False),
    ],
)
def test_topic_matches(pattern: str, topic: str, matches: bool) -> None:
    assert topic_matches(pattern, topic) is matches


@pytest.mark.parametrize("pattern", ["a/#/b", "a/b#", "a/+b", "edgex/ev+nts"])
def test_invalid_patterns(pattern: str) -> None:
    with pytest.raises(InvalidTopicPattern):
        topic_matches(pattern, "a/b")
