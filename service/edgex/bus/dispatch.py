"""Subscription table and delivery shared by the bus clients: decode once, call every match.

Patterns are split and checked once, when subscribed; a message costs one split of its topic.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from service.edgex.bus.base import EnvelopeHandler, ErrorHandler
from service.edgex.envelope import MessageEnvelope
from service.edgex.errors import DecodeError
from service.edgex.topics import levels_match, split_pattern

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Subscription:
    pattern: str
    levels: tuple[str, ...]  # split_pattern(pattern)
    handler: EnvelopeHandler
    on_error: ErrorHandler


class SubscriptionTable:
    """Thread-safe map of subscription pattern -> Subscription (a new handler replaces the old)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: dict[str, Subscription] = {}

    def add(self, topics: Sequence[str], handler: EnvelopeHandler, on_error: ErrorHandler) -> None:
        """Raises InvalidTopicPattern for a misplaced '#' or '+' before anything is subscribed."""
        subs = [Subscription(topic, split_pattern(topic), handler, on_error) for topic in topics]
        with self._lock:
            for sub in subs:
                self._subs[sub.pattern] = sub

    def remove(self, topics: Sequence[str]) -> list[str]:
        """Drop `topics`; returns those that were subscribed."""
        with self._lock:
            return [topic for topic in topics if self._subs.pop(topic, None) is not None]

    def patterns(self) -> list[str]:
        with self._lock:
            return list(self._subs)

    def all(self) -> list[Subscription]:
        with self._lock:
            return list(self._subs.values())

    def get(self, pattern: str) -> Subscription | None:
        with self._lock:
            return self._subs.get(pattern)

    def matching(self, topic: str) -> list[Subscription]:
        levels = topic.split("/")
        return [sub for sub in self.all() if levels_match(sub.levels, levels)]


def deliver(subs: Sequence[Subscription], topic: str, decode: Callable[[], MessageEnvelope]) -> None:
    """Decode one incoming message and hand it to `subs`; never raises."""
    if not subs:
        return
    try:
        envelope = decode()
    except DecodeError as exc:
        logger.debug("undecodable message on %s: %s", topic, exc)
        _report(subs, topic, exc)
        return
    except Exception as exc:  # a decoder bug must not kill the bus thread either
        logger.exception("decoder failed unexpectedly on %s", topic)
        _report(subs, topic, exc)
        return
    for sub in subs:
        try:
            sub.handler(topic, envelope)
        except Exception:
            logger.exception(
                "handler for %s failed on %s (correlation id %s)", sub.pattern, topic, envelope.correlation_id
            )


def _report(subs: Sequence[Subscription], topic: str, exc: Exception) -> None:
    for sub in subs:
        try:
            sub.on_error(topic, exc)
        except Exception:
            logger.exception("on_error for %s failed on %s", sub.pattern, topic)
