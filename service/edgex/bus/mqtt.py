"""MQTT 3.1.1 bus client on paho-mqtt 2.x, configured like go-mod-messaging's MQTT client.

Clean session, the same QoS and retain flag for every publish and subscribe, keep-alive and client
id from `MessageBus.Optional`; paho's network thread connects in the background, reconnects with
backoff and runs the handlers; every (re)connect re-subscribes the whole subscription table.
"""

from __future__ import annotations

import logging
import secrets
import socket
import threading
from collections.abc import Sequence
from functools import partial
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from service.edgex.bus.base import EnvelopeHandler, ErrorHandler
from service.edgex.bus.dispatch import SubscriptionTable, deliver
from service.edgex.bus.roundtrip import round_trip
from service.edgex.bus.settings import BusSettings, tls_context
from service.edgex.envelope import MessageEnvelope, decode_envelope, encode_envelope
from service.edgex.errors import BusUnavailable
from service.edgex.wire_format import WireFormat

logger = logging.getLogger(__name__)


class MqttBus:
    """MessageBus over an MQTT broker (EdgeX 4.x default: Mosquitto on port 1883)."""

    def __init__(self, settings: BusSettings, wire: WireFormat) -> None:
        self._settings = settings
        self._wire = wire
        self._subs = SubscriptionTable()
        self._connected = threading.Event()
        self._acked = threading.Condition()
        self._acked_mids: set[int] = set()  # SUBACKs a subscribe() call waits for
        self._unawaited_mids: set[int] = set()  # subscriptions sent from the network thread
        self._loop_thread_id: int | None = None
        self._failures = 0
        self._started = False
        self._closing = False
        self._client_id = settings.client_id or f"app-vision-{secrets.token_hex(4)}"
        self._client = self._build_client()

    def _build_client(self) -> mqtt.Client:
        s = self._settings
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self._client_id,
            clean_session=True,
            protocol=mqtt.MQTTv311,
            reconnect_on_failure=s.auto_reconnect,
        )
        client.connect_timeout = s.connect_timeout_s
        min_delay = max(1, round(s.reconnect_min_s))  # paho counts whole seconds
        client.reconnect_delay_set(min_delay=min_delay, max_delay=max(min_delay, round(s.reconnect_max_s)))
        if s.username:
            client.username_pw_set(s.username, s.password or None)
        context = tls_context(s)
        if context is not None:
            client.tls_set_context(context)
            if s.skip_cert_verify:
                client.tls_insecure_set(True)
        client.suppress_exceptions = True  # a callback bug is logged by paho, never kills its thread
        client.on_connect = self._on_connect
        client.on_socket_open = _disable_nagle
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        return client

    def connect(self) -> None:
        if self._started or self._closing:
            return
        self._started = True
        s = self._settings
        logger.info("connecting to MQTT broker %s as %s in the background", s.address, self._client_id)
        self._client.connect_async(s.host, s.port, keepalive=s.keep_alive_s)
        self._client.loop_start()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def publish(self, topic: str, envelope: MessageEnvelope) -> None:
        if not self._connected.is_set():
            raise BusUnavailable(f"MQTT broker {self._settings.address} is not connected")
        data = encode_envelope(envelope, self._wire.form)
        info = self._client.publish(topic, data, qos=self._settings.qos, retain=self._settings.retained)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise BusUnavailable(f"MQTT publish to {topic} failed: {mqtt.error_string(info.rc)}")

    def subscribe(self, topics: Sequence[str], handler: EnvelopeHandler, on_error: ErrorHandler) -> None:
        self._subs.add(topics, handler, on_error)
        if self._connected.is_set():
            self._send_subscribe(list(topics), wait=threading.get_ident() != self._loop_thread_id)

    def unsubscribe(self, topics: Sequence[str]) -> None:
        removed = self._subs.remove(topics)
        if removed and self._connected.is_set():
            self._client.unsubscribe(removed)

    def request(
        self, request_topic: str, envelope: MessageEnvelope, response_topic: str, timeout_s: float
    ) -> MessageEnvelope:
        return round_trip(self, request_topic, envelope, response_topic, timeout_s)

    def close(self) -> None:
        if self._closing:
            return
        self._closing = True
        self._client.disconnect()
        if self._started:
            self._client.loop_stop()
        self._connected.clear()

    def _send_subscribe(self, topics: list[str], *, wait: bool) -> None:
        if not topics:
            return
        rc, mid = self._client.subscribe([(topic, self._settings.qos) for topic in topics])
        if rc != mqtt.MQTT_ERR_SUCCESS or mid is None:
            return  # not connected any more: on_connect subscribes again
        if not wait:  # on the network thread: its SUBACK cannot have been handled yet
            with self._acked:
                self._unawaited_mids.add(mid)
            return
        with self._acked:
            if not self._acked.wait_for(lambda: mid in self._acked_mids, self._settings.connect_timeout_s):
                logger.warning("MQTT broker did not acknowledge the subscription to %s in time", topics)
            self._acked_mids.discard(mid)

    def _on_connect(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: ReasonCode, _props: Any
    ) -> None:
        self._loop_thread_id = threading.get_ident()
        if reason.is_failure:
            self._failures += 1
            level = logging.ERROR if self._failures == 1 else logging.DEBUG
            logger.log(
                level,
                "MQTT broker %s refused the connection: %s%s; retrying with backoff up to %g s",
                self._settings.address,
                reason,
                _refusal_hint(reason, self._settings),
                self._settings.reconnect_max_s,
            )
            return
        self._failures = 0
        self._connected.set()
        patterns = self._subs.patterns()
        logger.info(
            "connected to MQTT broker %s; subscribing %d topic(s)", self._settings.address, len(patterns)
        )
        self._send_subscribe(patterns, wait=False)

    def _on_connect_fail(self, _client: mqtt.Client, _userdata: Any) -> None:
        self._failures += 1
        level = logging.WARNING if self._failures == 1 else logging.DEBUG
        logger.log(
            level,
            "MQTT broker %s is unreachable (connect or TLS handshake failed, attempt %d); "
            "retrying with backoff up to %g s",
            self._settings.address,
            self._failures,
            self._settings.reconnect_max_s,
        )

    def _on_disconnect(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: ReasonCode, _props: Any
    ) -> None:
        was_connected = self._connected.is_set()
        self._connected.clear()
        if self._closing or not was_connected:
            return
        if self._settings.auto_reconnect:
            logger.warning("lost MQTT broker %s (%s); reconnecting", self._settings.address, reason)
        else:
            logger.error("lost MQTT broker %s (%s); AutoReconnect is off", self._settings.address, reason)

    def _on_subscribe(
        self, _client: mqtt.Client, _userdata: Any, mid: int, reasons: list[ReasonCode], _props: Any
    ) -> None:
        refused = [str(reason) for reason in reasons if reason.is_failure]
        if refused:
            logger.warning("MQTT broker refused subscription(s) (mid %d): %s", mid, ", ".join(refused))
        with self._acked:
            if mid in self._unawaited_mids:
                self._unawaited_mids.discard(mid)
                return
            self._acked_mids.add(mid)
            self._acked.notify_all()

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            topic = message.topic
        except UnicodeDecodeError:
            logger.warning("dropped an MQTT message whose topic is not UTF-8")
            return
        data = bytes(message.payload)
        deliver(self._subs.matching(topic), topic, partial(decode_envelope, data, topic))


def _disable_nagle(_client: mqtt.Client, _userdata: Any, sock: Any) -> None:
    """Camera frames span several TCP segments; with Nagle on, the last one waited ~40 ms here."""
    if isinstance(sock, socket.socket):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _refusal_hint(reason: ReasonCode, settings: BusSettings) -> str:
    """What to check when the broker refuses our credentials (never the credentials themselves)."""
    if "authorized" not in str(reason).lower() and "password" not in str(reason).lower():
        return ""
    if settings.username:
        return f" (check user {settings.username!r} and its password in the MessageBus.SecretName secret)"
    return " (the broker wants credentials: MessageBus.AuthMode and SecretName)"
