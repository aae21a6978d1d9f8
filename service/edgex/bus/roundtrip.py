"""`request()` for every bus: subscribe to the response topic, publish, await, unsubscribe."""

from __future__ import annotations

import queue
from collections.abc import Sequence
from typing import Protocol

from service.edgex.bus.base import EnvelopeHandler, ErrorHandler
from service.edgex.envelope import MessageEnvelope
from service.edgex.errors import RequestTimeout


class _PubSub(Protocol):
    def publish(self, topic: str, envelope: MessageEnvelope) -> None: ...

    def subscribe(self, topics: Sequence[str], handler: EnvelopeHandler, on_error: ErrorHandler) -> None: ...

    def unsubscribe(self, topics: Sequence[str]) -> None: ...


def round_trip(
    bus: _PubSub, request_topic: str, envelope: MessageEnvelope, response_topic: str, timeout_s: float
) -> MessageEnvelope:
    """Send `envelope` and return the first reply on `response_topic` (see MessageBus.request)."""
    replies: queue.Queue[MessageEnvelope | Exception] = queue.Queue()

    def on_reply(_topic: str, reply: MessageEnvelope) -> None:
        replies.put(reply)

    def on_error(_topic: str, exc: Exception) -> None:
        replies.put(exc)

    bus.subscribe([response_topic], on_reply, on_error)
    try:
        bus.publish(request_topic, envelope)
        try:
            reply = replies.get(timeout=timeout_s)
        except queue.Empty:
            raise RequestTimeout(
                f"no reply on {response_topic} within {timeout_s:g} s (request id {envelope.request_id})"
            ) from None
    finally:
        bus.unsubscribe([response_topic])
    if isinstance(reply, Exception):
        raise reply
    return reply
