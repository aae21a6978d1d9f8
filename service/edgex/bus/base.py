"""The MessageBus protocol every bus client (memory, mqtt, redis, nats-core) implements.

Thread-based and synchronous: handlers run on the bus's own thread and must return quickly; they
must not call `subscribe`, `unsubscribe` or `request` of the same bus (those wait for the bus
thread). Decode failures of incoming messages go to the subscriber's `on_error` callback; an
exception raised by a handler is logged and dropped. Neither ever stops the bus thread.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from service.edgex.envelope import MessageEnvelope

EnvelopeHandler = Callable[[str, MessageEnvelope], None]
"""(received topic, decoded envelope)"""
ErrorHandler = Callable[[str, Exception], None]
"""(received topic, decode error): the caller counts and drops the message"""


class MessageBus(Protocol):
    def connect(self) -> None:
        """Return at once; connect in the background, retrying with backoff and logging clearly."""

    @property
    def connected(self) -> bool: ...

    def publish(self, topic: str, envelope: MessageEnvelope) -> None:
        """Encode in the configured wire form and send; BusUnavailable when not connected."""

    def subscribe(self, topics: Sequence[str], handler: EnvelopeHandler, on_error: ErrorHandler) -> None:
        """Subscribe (re-subscribed after every reconnect). When connected, returns once the broker
        acknowledged the subscription, so a publish that follows cannot overtake it."""

    def unsubscribe(self, topics: Sequence[str]) -> None: ...

    def request(
        self, request_topic: str, envelope: MessageEnvelope, response_topic: str, timeout_s: float
    ) -> MessageEnvelope:
        """Subscribe to `response_topic`, publish, wait for the first reply, unsubscribe.

        Raises RequestTimeout, BusUnavailable, or the DecodeError of an undecodable reply."""

    def close(self) -> None:
        """Disconnect and stop the bus thread; idempotent."""
