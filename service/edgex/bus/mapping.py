"""EdgeX topic <-> Redis channel / NATS subject mapping, as go-mod-messaging does it.

Redis (EdgeX 3.x): `/` -> `.`, `#` and `+` -> `*`; every subscription is a PSUBSCRIBE, and a
pattern ending in `.*` also subscribes its parent channel so `a/#` still matches `a` as in MQTT.
Received channels are converted back with `.` -> `/`.
NATS: `/` <-> `.`, `+` <-> `*`, `#` <-> `>`.
"""

from __future__ import annotations

_TO_REDIS = str.maketrans({"/": ".", "#": "*", "+": "*"})
_TO_SUBJECT = str.maketrans({"/": ".", "+": "*", "#": ">"})
_FROM_SUBJECT = str.maketrans({".": "/", "*": "+", ">": "#"})


def topic_to_redis_channel(topic: str) -> str:
    """The Redis channel (or glob pattern, for a wildcard topic) of an EdgeX topic."""
    return topic.translate(_TO_REDIS)


def redis_patterns(topic: str) -> tuple[str, ...]:
    """The PSUBSCRIBE patterns that implement a subscription to `topic`."""
    pattern = topic_to_redis_channel(topic)
    if pattern.endswith(".*"):
        return (pattern, pattern[:-2])
    return (pattern,)


def redis_channel_to_topic(channel: str) -> str:
    return channel.replace(".", "/")


def topic_to_nats_subject(topic: str) -> str:
    return topic.translate(_TO_SUBJECT)


def nats_subject_to_topic(subject: str) -> str:
    return subject.translate(_FROM_SUBJECT)
