"""Redis Pub/Sub bus client with EdgeX 3.x's topic-to-channel mapping (see mapping.py).

One reader thread owns the PubSub connection: it (re)connects with backoff, PSUBSCRIBEs every
pattern of the subscription table, applies subscribe/unsubscribe requests between reads and runs
the handlers. Publishing uses a separate connection pool and is safe from any thread.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.client import PubSub
from redis.retry import Retry

from service.edgex.bus.backoff import Backoff
from service.edgex.bus.base import EnvelopeHandler, ErrorHandler
from service.edgex.bus.dispatch import SubscriptionTable, deliver
from service.edgex.bus.mapping import redis_channel_to_topic, redis_patterns, topic_to_redis_channel
from service.edgex.bus.roundtrip import round_trip
from service.edgex.bus.settings import BusSettings
from service.edgex.envelope import MessageEnvelope, decode_envelope, encode_envelope
from service.edgex.errors import BusUnavailable
from service.edgex.wire_format import WireFormat

logger = logging.getLogger(__name__)

_POLL_S = 0.05  # how long a read waits before pending (un)subscriptions are applied


@dataclass(slots=True)
class _Waiter:
    """A subscribe() call waiting for the PSUBSCRIBE confirmations of `patterns`."""

    patterns: set[str]
    done: threading.Event = field(default_factory=threading.Event)


def _client(settings: BusSettings) -> redis.Redis:
    """go-mod-messaging sends only the password (no ACL user) to Redis."""
    return redis.Redis(
        host=settings.host,
        port=settings.port,
        password=settings.password or None,
        client_name=settings.client_id or None,
        socket_connect_timeout=settings.connect_timeout_s,
        socket_keepalive=True,
        health_check_interval=settings.keep_alive_s,
        retry=Retry(NoBackoff(), 1),
        ssl=settings.uses_tls,
        ssl_ca_certs=settings.ca_file or None,
        ssl_certfile=settings.cert_file or None,
        ssl_keyfile=settings.key_file or None,
        ssl_cert_reqs="none" if settings.skip_cert_verify else "required",
        ssl_check_hostname=not settings.skip_cert_verify,
    )


class RedisBus:
    """MessageBus over Redis Pub/Sub (EdgeX 3.x default bus)."""

    def __init__(self, settings: BusSettings, wire: WireFormat) -> None:
        self._settings = settings
        self._wire = wire
        self._client = _client(settings)
        self._subs = SubscriptionTable()
        self._requests: queue.SimpleQueue[_Waiter] = queue.SimpleQueue()
        self._connected = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # reader-thread state, reset per connection
        self._active: set[str] = set()
        self._confirmed: set[str] = set()
        self._waiters: list[_Waiter] = []

    def connect(self) -> None:
        if self._thread is not None or self._stop.is_set():
            return
        logger.info("connecting to Redis %s in the background", self._settings.address)
        self._thread = threading.Thread(target=self._run, name="bus-redis", daemon=True)
        self._thread.start()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def publish(self, topic: str, envelope: MessageEnvelope) -> None:
        if not self._connected.is_set():
            raise BusUnavailable(f"Redis {self._settings.address} is not connected")
        data = encode_envelope(envelope, self._wire.form)
        try:
            self._client.publish(topic_to_redis_channel(topic), data)
        except (redis.RedisError, OSError) as exc:
            raise BusUnavailable(f"Redis publish to {topic} failed: {exc}") from exc

    def subscribe(self, topics: Sequence[str], handler: EnvelopeHandler, on_error: ErrorHandler) -> None:
        self._subs.add(topics, handler, on_error)
        waiter = _Waiter({pattern for topic in topics for pattern in redis_patterns(topic)})
        self._requests.put(waiter)
        if self._connected.is_set() and threading.current_thread() is not self._thread:
            if not waiter.done.wait(self._settings.connect_timeout_s):
                logger.warning("Redis did not confirm the subscription to %s in time", list(topics))

    def unsubscribe(self, topics: Sequence[str]) -> None:
        if self._subs.remove(topics):
            self._requests.put(_Waiter(set()))

    def request(
        self, request_topic: str, envelope: MessageEnvelope, response_topic: str, timeout_s: float
    ) -> MessageEnvelope:
        return round_trip(self, request_topic, envelope, response_topic, timeout_s)

    def close(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        self._connected.clear()
        self._client.close()

    def _run(self) -> None:
        backoff = Backoff(self._settings.reconnect_min_s, self._settings.reconnect_max_s)
        failures = 0
        while not self._stop.is_set():
            pubsub = self._client.pubsub()  # type: ignore[no-untyped-call]
            try:
                self._client.ping()
                failures = 0
                backoff.reset()
                self._session(pubsub)
            except (redis.RedisError, OSError) as exc:
                failures += 1
                self._log_failure(exc, failures)
            finally:
                self._connected.clear()
                self._active, self._confirmed = set(), set()
                pubsub.close()
            self._stop.wait(backoff.next_delay())

    def _log_failure(self, exc: Exception, failures: int) -> None:
        address = self._settings.address
        if self._connected.is_set():
            logger.warning("lost Redis %s (%s); reconnecting with backoff", address, exc)
        elif failures == 1:
            logger.warning("Redis %s is unreachable (%s); retrying with backoff", address, exc)
        else:
            logger.debug("Redis %s still unreachable (attempt %d): %s", address, failures, exc)

    def _session(self, pubsub: PubSub) -> None:
        """Serve one connection until it fails (raises) or the bus closes."""
        self._connected.set()
        logger.info("connected to Redis %s", self._settings.address)
        idle_s = 0.0
        while not self._stop.is_set():
            self._apply_requests(pubsub)
            if not pubsub.subscribed:
                idle_s += _POLL_S
                if idle_s >= self._settings.keep_alive_s:  # nothing to read: probe the server
                    self._client.ping()
                    idle_s = 0.0
            message = pubsub.get_message(timeout=_POLL_S)
            if message is not None:
                self._handle(message)

    def _apply_requests(self, pubsub: PubSub) -> None:
        """Make the PSUBSCRIBEd patterns equal to the table's, then register waiting callers."""
        new_waiters: list[_Waiter] = []
        while not self._requests.empty():
            new_waiters.append(self._requests.get_nowait())
        wanted = {pattern for topic in self._subs.patterns() for pattern in redis_patterns(topic)}
        if new_waiters or wanted != self._active:
            added, dropped = wanted - self._active, self._active - wanted
            if added:
                pubsub.psubscribe(*sorted(added))
            if dropped:
                pubsub.punsubscribe(*sorted(dropped))  # type: ignore[no-untyped-call]
                self._confirmed -= dropped
            self._active = wanted
        for waiter in new_waiters:
            waiter.patterns -= self._confirmed
            self._waiters.append(waiter)
        self._release_waiters()

    def _release_waiters(self) -> None:
        for waiter in self._waiters:
            if not waiter.patterns:
                waiter.done.set()
        self._waiters = [waiter for waiter in self._waiters if waiter.patterns]

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "psubscribe":
            pattern = _text(message["channel"])
            self._confirmed.add(pattern)
            for waiter in self._waiters:
                waiter.patterns.discard(pattern)
            self._release_waiters()
        elif kind == "pmessage":
            pattern = _text(message["pattern"])
            topic = redis_channel_to_topic(_text(message["channel"]))
            matching = [sub for sub in self._subs.all() if pattern in redis_patterns(sub.pattern)]
            deliver(matching, topic, partial(decode_envelope, bytes(message["data"]), topic))


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
