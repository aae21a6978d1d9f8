"""EdgeX topic scheme (PROTOCOL.md §2): build, escape, parse and match topics.

Names are escaped only when Service.EnableNameFieldEscape is on, with GMCC's URLEncode rules
(Go url.PathEscape, then `+ - . _ ~` escaped too). Receivers always unescape every level, like
Go's url.PathUnescape: a malformed %-sequence is a TopicError. Fixed levels and the get/set
method are never escaped. Without escaping, a '/' in a name adds levels and parsing is ambiguous.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote_to_bytes

from service.edgex.errors import InvalidTopicPattern, TopicError

_EXTRA_ESCAPES = {"+": "%2B", "-": "%2D", ".": "%2E", "_": "%5F", "~": "%7E"}
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_METHODS = frozenset({"get", "set"})


@dataclass(frozen=True, slots=True)
class EventTopic:
    """The levels of `<base>/events/<kind>/<service>/<profile>/<device>/<source>`, unescaped."""

    base: str
    kind: str  # "device" (device services) or "core" (re-published by core-data)
    service: str
    profile: str
    device: str
    source: str


def escape_name(name: str) -> str:
    """GMCC common.URLEncode: url.PathEscape plus `+ - . _ ~`."""
    escaped = quote(name, safe="$&+:=@")
    return "".join(_EXTRA_ESCAPES.get(ch, ch) for ch in escaped)


def unescape_level(level: str) -> str:
    """Go url.PathUnescape: strict about malformed escapes and invalid UTF-8."""
    if _BAD_ESCAPE.search(level):
        raise TopicError(f"malformed escape in topic level {level!r:.80}")
    try:
        return unquote_to_bytes(level).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TopicError(f"topic level is not UTF-8 once unescaped: {level!r:.80}") from exc


def join_topic(base: str, *levels: str) -> str:
    """`base/level/...`, tolerating an empty base or one with a trailing '/'."""
    head = base.rstrip("/")
    return "/".join([head, *levels] if head else list(levels))


def _names(names: tuple[str, ...], escape: bool) -> list[str]:
    return [escape_name(n) if escape else n for n in names]


def event_topic(base: str, service: str, profile: str, device: str, source: str, *, escape: bool) -> str:
    """`edgex/events/device/<service>/<profile>/<device>/<source>`."""
    return join_topic(base, "events", "device", *_names((service, profile, device, source), escape))


def parse_event_topic(topic: str) -> EventTopic:
    """Split an event topic into unescaped levels (the last four are the names)."""
    levels = topic.split("/")
    if len(levels) < 6 or levels[-6] != "events" or levels[-5] not in ("device", "core"):
        raise TopicError(f"not an EdgeX event topic: {topic!r:.200}")
    service, profile, device, source = (unescape_level(level) for level in levels[-4:])
    return EventTopic(
        base="/".join(levels[:-6]),
        kind=levels[-5],
        service=service,
        profile=profile,
        device=device,
        source=source,
    )


def command_request_topic(base: str, device: str, command: str, method: str, *, escape: bool = False) -> str:
    """`edgex/core/command/request/<device>/<command>/<get|set>`."""
    if method not in _METHODS:
        raise ValueError(f"method must be get or set, not {method!r}")
    return join_topic(base, "core", "command", "request", *_names((device, command), escape), method)


def command_response_topic(base: str, request_id: str) -> str:
    """`edgex/response/core-command/<requestID>` (where core-command answers)."""
    return join_topic(base, "response", "core-command", request_id)


def split_pattern(pattern: str) -> tuple[str, ...]:
    """The levels of a subscription pattern; InvalidTopicPattern for a misplaced '#' or '+'."""
    levels = tuple(pattern.split("/"))
    for index, level in enumerate(levels):
        if "#" in level and (level != "#" or index != len(levels) - 1):
            raise InvalidTopicPattern("'#' must be a whole level and the last one")
        if "+" in level and level != "+":
            raise InvalidTopicPattern("'+' must be a whole level")
    return levels


def levels_match(pattern_levels: tuple[str, ...], topic_levels: list[str]) -> bool:
    """`topic_matches` on levels already split (and the pattern checked by `split_pattern`)."""
    for index, level in enumerate(pattern_levels):
        if level == "#":
            return True
        if index >= len(topic_levels):
            return False
        if level != "+" and level != topic_levels[index]:
            return False
    return len(pattern_levels) == len(topic_levels)


def topic_matches(pattern: str, topic: str) -> bool:
    """MQTT semantics: '+' is exactly one level, a trailing '#' is zero or more levels."""
    return levels_match(split_pattern(pattern), topic.split("/"))
