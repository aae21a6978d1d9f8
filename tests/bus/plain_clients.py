"""Plain broker clients (raw paho / redis-py / nats-py, none of our bus code) playing the Go side.

Each maps EdgeX topics as go-mod-messaging does, written out here independently of
service.edgex.bus.mapping, and the NATS one marshals envelopes like GMM's `nats` format.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import queue
import threading
import uuid
from typing import Any, Protocol

import cbor2
import nats
import paho.mqtt.client as mqtt
import redis
from paho.mqtt.enums import CallbackAPIVersion

Received = tuple[str, bytes, dict[str, str] | None]
"""(EdgeX topic, body, NATS headers or None)"""
GARBAGE = b"\x00\x01 this is not an envelope"
TIMEOUT_S = 5.0


class PlainClient(Protocol):
    def publish_envelope(self, topic: str, envelope: bytes) -> None: ...

    def publish_garbage(self, topic: str) -> None: ...

    def listen(self, topic_filter: str) -> queue.Queue[Received]: ...

    def close(self) -> None: ...


class PlainMqtt:
    def __init__(self, port: int) -> None:
        self._inbox: queue.Queue[Received] = queue.Queue()
        self._subscribed = threading.Event()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"plain-{uuid.uuid4().hex[:8]}")
        self._client.on_message = lambda _c, _u, m: self._inbox.put((m.topic, bytes(m.payload), None))
        self._client.on_subscribe = lambda *_args: self._subscribed.set()
        self._client.connect("127.0.0.1", port)
        self._client.loop_start()

    def publish_envelope(self, topic: str, envelope: bytes) -> None:
        self._client.publish(topic, envelope, qos=1).wait_for_publish(TIMEOUT_S)

    def publish_garbage(self, topic: str) -> None:
        self.publish_envelope(topic, GARBAGE)

    def listen(self, topic_filter: str) -> queue.Queue[Received]:
        self._client.subscribe(topic_filter, qos=1)
        assert self._subscribed.wait(TIMEOUT_S)
        return self._inbox

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


class PlainRedis:
    def __init__(self, port: int) -> None:
        self._redis = redis.Redis(host="127.0.0.1", port=port)
        self._inbox: queue.Queue[Received] = queue.Queue()
        self._worker: Any = None

    def publish_envelope(self, topic: str, envelope: bytes) -> None:
        self._redis.publish(topic.replace("/", "."), envelope)

    def publish_garbage(self, topic: str) -> None:
        self.publish_envelope(topic, GARBAGE)

    def listen(self, topic_filter: str) -> queue.Queue[Received]:
        def on_message(message: dict[str, Any]) -> None:
            self._inbox.put((message["channel"].decode().replace(".", "/"), message["data"], None))

        pubsub = self._redis.pubsub()  # type: ignore[no-untyped-call]
        pubsub.psubscribe(**{topic_filter.replace("/", ".").replace("#", "*"): on_message})
        assert pubsub.get_message(timeout=TIMEOUT_S)["type"] == "psubscribe"
        self._worker = pubsub.run_in_thread(sleep_time=0.01, daemon=True)
        return self._inbox

    def close(self) -> None:
        if self._worker is not None:
            self._worker.stop()
            self._worker.join(TIMEOUT_S)
        self._redis.close()


def go_nats_message(envelope: bytes) -> tuple[dict[str, str], bytes]:
    """What GMM's natsMarshaller sends for this envelope: metadata headers + raw payload bytes."""
    raw = json.loads(envelope) if envelope[:1] == b"{" else cbor2.loads(envelope)
    payload = raw["payload"]
    if payload is None:
        body = b""
    elif isinstance(payload, str):
        try:
            body = base64.b64decode(payload, validate=True)
        except binascii.Error:
            body = payload.encode()
    elif isinstance(payload, bytes):
        body = payload
    else:
        body = json.dumps(payload, separators=(",", ":")).encode()
    headers = {
        "Content-Type": raw["contentType"],
        "X-Correlation-ID": raw["correlationID"],
        "RequestId": raw["requestID"],
        "ApiVersion": raw["apiVersion"],
        "ErrorCode": str(raw["errorCode"]),
    }
    return headers, body


class PlainNats:
    def __init__(self, port: int, headers_format: bool) -> None:
        self._headers_format = headers_format
        self._inbox: queue.Queue[Received] = queue.Queue()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._nc = self._run(nats.connect(f"nats://127.0.0.1:{port}", reconnect_time_wait=0.2))

    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(TIMEOUT_S)

    def publish_envelope(self, topic: str, envelope: bytes) -> None:
        headers, body = go_nats_message(envelope) if self._headers_format else (None, envelope)
        self._publish(topic, body, headers)

    def publish_garbage(self, topic: str) -> None:
        if self._headers_format:
            self._publish(topic, b"{}", {"Content-Type": "application/json", "ErrorCode": "not-a-number"})
        else:
            self._publish(topic, GARBAGE, None)

    def _publish(self, topic: str, body: bytes, headers: dict[str, str] | None) -> None:
        async def send() -> None:
            await self._nc.publish(topic.replace("/", "."), body, headers=headers)
            await self._nc.flush()

        self._run(send())

    def listen(self, topic_filter: str) -> queue.Queue[Received]:
        async def on_message(msg: Any) -> None:
            self._inbox.put((msg.subject.replace(".", "/"), msg.data, msg.headers))

        async def subscribe() -> None:
            subject = topic_filter.replace("/", ".").replace("#", ">").replace("+", "*")
            await self._nc.subscribe(subject, cb=on_message)
            await self._nc.flush()

        self._run(subscribe())
        return self._inbox

    def close(self) -> None:
        self._run(self._nc.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(TIMEOUT_S)
        self._loop.close()
