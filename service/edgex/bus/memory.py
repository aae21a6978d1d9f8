"""In-process message bus: the embedded default. Same wildcard semantics as MQTT (`#`, `+`).

Messages go through the configured wire encoding and back, so the memory bus behaves exactly like
a broker (including decode failures, which `publish_raw` can inject), and are delivered in publish
order on the bus's own thread.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence
from functools import partial

from service.edgex.bus.base import EnvelopeHandler, ErrorHandler
from service.edgex.bus.dispatch import SubscriptionTable, deliver
from service.edgex.bus.roundtrip import round_trip
from service.edgex.envelope import MessageEnvelope, decode_envelope, encode_envelope
from service.edgex.errors import BusUnavailable
from service.edgex.wire_format import WireFormat

logger = logging.getLogger(__name__)


class MemoryBus:
    """A MessageBus without a broker; one delivery thread per bus."""

    def __init__(self, wire: WireFormat) -> None:
        self._wire = wire
        self._subs = SubscriptionTable()
        self._queue: queue.Queue[tuple[str, bytes] | None] = queue.Queue()  # None stops
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False

    def connect(self) -> None:
        with self._lock:
            if self._thread is not None or self._closed:
                return
            self._thread = threading.Thread(target=self._run, name="bus-memory", daemon=True)
            self._thread.start()
        logger.info("memory message bus started (wire form %s)", self._wire.form.name)

    @property
    def connected(self) -> bool:
        return self._thread is not None and not self._closed

    def publish(self, topic: str, envelope: MessageEnvelope) -> None:
        self.publish_raw(topic, encode_envelope(envelope, self._wire.form))

    def publish_raw(self, topic: str, data: bytes) -> None:
        """Put already-encoded bytes on the bus, as a foreign publisher would."""
        if not self.connected:
            raise BusUnavailable("memory bus is not connected")
        self._queue.put((topic, data))

    def subscribe(self, topics: Sequence[str], handler: EnvelopeHandler, on_error: ErrorHandler) -> None:
        self._subs.add(topics, handler, on_error)

    def unsubscribe(self, topics: Sequence[str]) -> None:
        self._subs.remove(topics)

    def request(
        self, request_topic: str, envelope: MessageEnvelope, response_topic: str, timeout_s: float
    ) -> MessageEnvelope:
        return round_trip(self, request_topic, envelope, response_topic, timeout_s)

    def close(self) -> None:
        with self._lock:
            thread, self._closed = self._thread, True
        if thread is not None:
            self._queue.put(None)
            if thread is not threading.current_thread():
                thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            topic, data = item
            deliver(self._subs.matching(topic), topic, partial(decode_envelope, data, topic))
