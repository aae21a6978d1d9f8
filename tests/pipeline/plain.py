"""A plain paho client playing the EdgeX side: publishes device-rest style events, reads results."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from dataclasses import dataclass
from typing import Any

import cbor2
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from service.simulator.loadgen import PROFILE, SOURCE, frame_envelope, value_envelope
from service.simulator.photos import photo_jpeg

TIMEOUT_S = 5.0
RESULT_TOPICS = "edgex/events/device/app-vision/app-vision-result/#"


@dataclass(frozen=True)
class ResultEvent:
    """A result event as the plain client decoded it (independently of app-vision's codec)."""

    topic: str
    content_type: str
    request: dict[str, Any]  # the AddEventRequest

    @property
    def event(self) -> dict[str, Any]:
        event: dict[str, Any] = self.request["event"]
        return event

    def readings(self, resource: str) -> list[dict[str, Any]]:
        return [r for r in self.event["readings"] if r["resourceName"] == resource]

    @property
    def state(self) -> str:
        return str(self.readings("AlertState")[0]["value"])

    @property
    def alert(self) -> dict[str, Any]:
        alert: dict[str, Any] = self.readings("Alert")[0]["objectValue"]
        return alert


def decode_result(topic: str, payload: bytes) -> ResultEvent:
    envelope = json.loads(payload)
    content_type = envelope["contentType"]
    body = envelope["payload"]
    if content_type == "application/cbor":
        request = cbor2.loads(base64.b64decode(body))
    elif isinstance(body, str):
        request = json.loads(base64.b64decode(body))
    else:
        request = body
    return ResultEvent(topic, content_type, request)


def bool_envelope(device: str, resource: str, value: bool) -> bytes:
    """A device-virtual style nested-JSON event with one Bool reading."""
    return value_envelope(device, "sensor", resource, "Bool", "true" if value else "false")


class PlainMqtt:
    """Publishes frames and Bool readings; collects every result event."""

    def __init__(self, port: int) -> None:
        self.results: list[ResultEvent] = []
        self.raw_results: list[tuple[str, bytes]] = []
        self._subscribed = threading.Event()
        self._lock = threading.Lock()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"plain-{uuid.uuid4().hex[:8]}")
        self._client.on_message = self._on_message
        self._client.on_subscribe = lambda *_args: self._subscribed.set()
        self._client.connect("127.0.0.1", port)
        self._client.loop_start()
        self._client.subscribe(RESULT_TOPICS, qos=1)
        assert self._subscribed.wait(TIMEOUT_S)
        self._photos: dict[str, bytes] = {}

    def frame(self, camera: str, photo: str) -> None:
        """Publish one photo as a device-rest event of `camera`."""
        if photo not in self._photos:
            self._photos[photo] = photo_jpeg(photo)
        self.jpeg(camera, self._photos[photo])

    def jpeg(self, camera: str, jpeg: bytes) -> None:
        """Publish one JPEG as a device-rest event of `camera`."""
        topic = f"edgex/events/device/device-rest/{PROFILE}/{camera}/{SOURCE}"  # as the event names them
        self._client.publish(topic, frame_envelope(camera, jpeg), qos=1).wait_for_publish(TIMEOUT_S)

    def bool(self, device: str, resource: str, value: bool) -> None:
        topic = f"edgex/events/device/device-virtual/sensor/{device}/{resource}"
        self._client.publish(topic, bool_envelope(device, resource, value), qos=1).wait_for_publish(TIMEOUT_S)

    def results_of(self, rule: str) -> list[ResultEvent]:
        with self._lock:
            return [r for r in self.results if r.alert["rule"] == rule]

    def close(self) -> None:
        self._client.loop_stop()
        self._client.disconnect()

    def _on_message(self, _client: object, _userdata: object, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.raw_results.append((message.topic, bytes(message.payload)))
            self.results.append(decode_result(message.topic, bytes(message.payload)))
