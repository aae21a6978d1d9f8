"""EdgeX topic <-> Redis channel / NATS subject mapping (go-mod-messaging rules)."""

from __future__ import annotations

import pytest

from service.edgex.bus.mapping import (
    nats_subject_to_topic,
    redis_channel_to_topic,
    redis_patterns,
    topic_to_nats_subject,
    topic_to_redis_channel,
)


@pytest.mark.parametrize(
    ("topic", "channel"),
    [
        ("edgex/events/device/ds/p/d/s", "edgex.events.device.ds.p.d.s"),
        ("edgex/events/#", "edgex.events.*"),
        ("edgex/events/+/ds/#", "edgex.events.*.ds.*"),
        ("edgex/response/core-command/0b1c", "edgex.response.core-command.0b1c"),
        ("single", "single"),
    ],
)
def test_topic_to_redis_channel(topic: str, channel: str) -> None:
    assert topic_to_redis_channel(topic) == channel


@pytest.mark.parametrize(
    ("topic", "patterns"),
    [
        ("edgex/events/#", ("edgex.events.*", "edgex.events")),
        ("edgex/events/device/+", ("edgex.events.device.*", "edgex.events.device")),
        ("edgex/+/device", ("edgex.*.device",)),
        ("edgex/response/core-command/42", ("edgex.response.core-command.42",)),
        ("#", ("*",)),
    ],
)
def test_redis_patterns_add_the_parent_channel_for_a_trailing_wildcard(
    topic: str, patterns: tuple[str, ...]
) -> None:
    assert redis_patterns(topic) == patterns


@pytest.mark.parametrize(
    ("channel", "topic"),
    [
        ("edgex.events.device.ds.p.d.s", "edgex/events/device/ds/p/d/s"),
        ("edgex", "edgex"),
        ("a.b%2Ec", "a/b%2Ec"),
    ],
)
def test_redis_channel_to_topic(channel: str, topic: str) -> None:
    assert redis_channel_to_topic(channel) == topic


@pytest.mark.parametrize(
    ("topic", "subject"),
    [
        ("edgex/events/device/ds/p/d/s", "edgex.events.device.ds.p.d.s"),
        ("edgex/events/#", "edgex.events.>"),
        ("edgex/+/device/#", "edgex.*.device.>"),
        ("edgex/response/core-command/7", "edgex.response.core-command.7"),
    ],
)
def test_nats_subject_round_trip(topic: str, subject: str) -> None:
    assert topic_to_nats_subject(topic) == subject
    assert nats_subject_to_topic(subject) == topic
