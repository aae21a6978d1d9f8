"""NATS core bus client on nats-py: an asyncio loop in its own thread behind the synchronous API.

Subjects are EdgeX topics mapped by mapping.py; the body/headers follow `Optional.Format` (see
nats_codec.py). nats-py retries the first connection and later reconnections at a fixed interval
(as nats.go with RetryOnFailedConnect does for EdgeX) and replays subscriptions itself; handlers run
on the loop thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from functools import partial
from typing import Any

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription as NatsSubscription
from nats.errors import Error as NatsError

from service.edgex.bus.backoff import Backoff
from service.edgex.bus.base import EnvelopeHandler, ErrorHandler
from service.edgex.bus.dispatch import SubscriptionTable, deliver
from service.edgex.bus.mapping import nats_subject_to_topic, topic_to_nats_subject
from service.edgex.bus.nats_codec import QUERY_PARAMS, QUERY_PARAMS_SEPARATOR, NatsCodec
from service.edgex.bus.roundtrip import round_trip
from service.edgex.bus.settings import BusSettings, tls_context
from service.edgex.envelope import MessageEnvelope
from service.edgex.errors import BusUnavailable
from service.edgex.wire_format import WireFormat

logger = logging.getLogger(__name__)

_QUERY_PARAMS_LINE = QUERY_PARAMS.encode() + b":"


class _Client(NatsClient):
    """nats-py keeps only the last of repeated headers; fold all QueryParams headers into one value."""

    async def _process_headers(self, headers: bytes) -> dict[str, str] | None:
        parsed: dict[str, str] | None = await super()._process_headers(headers)
        if parsed is not None and _QUERY_PARAMS_LINE in headers:
            values = [
                line[len(_QUERY_PARAMS_LINE) :].strip().decode("utf-8", "replace")
                for line in headers.split(b"\r\n")
                if line.startswith(_QUERY_PARAMS_LINE)
            ]
            parsed[QUERY_PARAMS] = QUERY_PARAMS_SEPARATOR.join(values)
        return parsed


class NatsBus:
    """MessageBus over NATS core (`MessageBus.Type: nats-core`)."""

    def __init__(self, settings: BusSettings, wire: WireFormat) -> None:
        self._settings = settings
        self._codec = NatsCodec(settings.nats_format, wire.form)
        self._subs = SubscriptionTable()
        self._nats_subs: dict[str, NatsSubscription] = {}  # loop thread only
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="bus-nats", daemon=True)
        self._nc: NatsClient = _Client()
        self._connect_task: asyncio.Task[None] | None = None
        self._ever_connected = False
        self._failures = 0
        self._closing = False

    def connect(self) -> None:
        if self._thread.is_alive() or self._closing:
            return
        s = self._settings
        logger.info("connecting to NATS %s (format %s) in the background", s.address, s.nats_format)
        self._thread.start()
        self._loop.call_soon_threadsafe(self._start_connect)

    @property
    def connected(self) -> bool:
        return not self._closing and self._nc.is_connected

    def publish(self, topic: str, envelope: MessageEnvelope) -> None:
        if not self.connected:
            raise BusUnavailable(f"NATS {self._settings.address} is not connected")
        headers, body = self._codec.encode(envelope)
        try:
            self._call(self._nc.publish(topic_to_nats_subject(topic), body, headers=headers))
        except (NatsError, OSError, TimeoutError) as exc:
            raise BusUnavailable(f"NATS publish to {topic} failed: {exc!r}") from exc

    def subscribe(self, topics: Sequence[str], handler: EnvelopeHandler, on_error: ErrorHandler) -> None:
        self._subs.add(topics, handler, on_error)
        if self.connected:
            self._call_logged(self._subscribe_async(list(topics)), f"subscribe to {list(topics)}")

    def unsubscribe(self, topics: Sequence[str]) -> None:
        removed = self._subs.remove(topics)
        if removed and self._thread.is_alive():
            self._call_logged(self._unsubscribe_async(removed), f"unsubscribe from {removed}")

    def request(
        self, request_topic: str, envelope: MessageEnvelope, response_topic: str, timeout_s: float
    ) -> MessageEnvelope:
        return round_trip(self, request_topic, envelope, response_topic, timeout_s)

    def close(self) -> None:
        if self._closing:
            return
        self._closing = True
        if not self._thread.is_alive():
            self._loop.close()
            return
        self._call_logged(self._close_async(), "close")
        self._loop.call_soon_threadsafe(self._loop.stop)
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)
            self._loop.close()

    # -- running coroutines on the loop thread -------------------------------------------------

    def _call(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run `coro` on the loop and wait for it; from the loop thread itself, only schedule it."""
        if threading.current_thread() is self._thread:
            task = self._loop.create_task(coro)
            task.add_done_callback(_log_task_failure)
            return
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=self._settings.connect_timeout_s)

    def _call_logged(self, coro: Coroutine[Any, Any, Any], what: str) -> None:
        try:
            self._call(coro)
        except (NatsError, OSError, TimeoutError) as exc:
            logger.warning("NATS %s failed: %r", what, exc)

    # -- loop thread ------------------------------------------------------------------------------

    def _start_connect(self) -> None:
        self._connect_task = self._loop.create_task(self._connect())

    async def _connect(self) -> None:
        backoff = Backoff(self._settings.reconnect_min_s, self._settings.reconnect_max_s)
        while True:  # only loops when AutoReconnect is off: nats-py then gives up after 2 attempts
            try:
                await self._nc.connect(**self._connect_options())
                break
            except (NatsError, OSError, TimeoutError) as exc:
                await self._on_error(exc)
                self._nc = _Client()
                await asyncio.sleep(backoff.next_delay())
        self._ever_connected = True
        self._failures = 0
        patterns = self._subs.patterns()
        logger.info("connected to NATS %s; subscribing %d topic(s)", self._settings.address, len(patterns))
        await self._subscribe_async(patterns)

    def _connect_options(self) -> dict[str, Any]:
        s = self._settings
        return {
            "servers": [f"nats://{s.host}:{s.port}"],
            "name": s.client_id or None,
            "user": s.username or None,
            "password": s.password or None,
            "tls": tls_context(s),
            "connect_timeout": s.connect_timeout_s,
            "reconnect_time_wait": s.reconnect_min_s,
            "allow_reconnect": True,
            "max_reconnect_attempts": -1 if s.auto_reconnect else 1,
            "ping_interval": max(1, s.keep_alive_s),
            "error_cb": self._on_error,
            "disconnected_cb": self._on_disconnected,
            "reconnected_cb": self._on_reconnected,
            "closed_cb": self._on_closed,
        }

    async def _subscribe_async(self, topics: list[str]) -> None:
        for topic in topics:
            old = self._nats_subs.pop(topic, None)
            if old is not None:
                await old.unsubscribe()
            subject = topic_to_nats_subject(topic)
            self._nats_subs[topic] = await self._nc.subscribe(subject, cb=self._callback_for(topic))
        await self._nc.flush(timeout=max(1, round(self._settings.connect_timeout_s)))

    async def _unsubscribe_async(self, topics: list[str]) -> None:
        for topic in topics:
            sub = self._nats_subs.pop(topic, None)
            if sub is not None and self._nc.is_connected:
                await sub.unsubscribe()

    def _callback_for(self, pattern: str) -> Callable[[Msg], Awaitable[None]]:
        async def on_message(msg: Msg) -> None:
            sub = self._subs.get(pattern)
            if sub is None:
                return
            topic = nats_subject_to_topic(msg.subject)
            deliver([sub], topic, partial(self._codec.decode, topic, msg.headers, msg.data))

        return on_message

    async def _close_async(self) -> None:
        if self._connect_task is not None and not self._connect_task.done():
            self._connect_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, NatsError, OSError):
                await self._connect_task
        if not self._nc.is_closed:
            await self._nc.close()

    async def _on_error(self, exc: Exception) -> None:
        if self._ever_connected and self._nc.is_connected:
            logger.warning("NATS %s error: %r", self._settings.address, exc)
            return
        self._failures += 1
        level = logging.WARNING if self._failures == 1 else logging.DEBUG
        logger.log(
            level,
            "NATS %s is unreachable (%r, attempt %d); retrying every %g s",
            self._settings.address,
            exc,
            self._failures,
            self._settings.reconnect_min_s,
        )

    async def _on_disconnected(self) -> None:
        if self._ever_connected and not self._closing:
            self._failures = 0
            logger.warning("lost NATS %s; reconnecting", self._settings.address)

    async def _on_reconnected(self) -> None:
        logger.info("reconnected to NATS %s; subscriptions replayed", self._settings.address)

    async def _on_closed(self) -> None:
        if not self._closing:
            logger.error("NATS connection to %s closed; not reconnecting", self._settings.address)


def _log_task_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.warning("NATS operation failed: %r", task.exception())
