"""Load generator: a separate process that publishes camera frames and sensor readings over MQTT.

    python -m service.simulator.loadgen --port 1883 --cameras 4 --fps 30 --seconds 30
    python -m service.simulator.loadgen --port 1883 --cameras 4 --closed-loop   # paced by stdin

It speaks EdgeX with plain paho-mqtt, cbor2 and json (none of app-vision's own codec), exactly as
device-rest does: a JSON envelope whose payload is the base64 of a CBOR AddEventRequest holding one
Binary image/jpeg reading. Each frame's origin is the moment it is published, so `now - origin`
at the receiver is publish-to-result latency. Open loop: each camera publishes at --fps. Closed
loop: each camera keeps --window frames outstanding and publishes the next when a line with its
name arrives on stdin ("as fast as the service takes them"); with --in-flight N, N frames are
outstanding in all, and each release sends the next camera's frame in turn. Sensor readings (Int64 `Seq`, one
device per reading: sensor-0, sensor-1, ...) go out at --sensors-per-s as nested-JSON events. On
exit a JSON summary line goes to stdout.
"""

from __future__ import annotations

import argparse
import json
import queue
import socket
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cbor2
import paho.mqtt.client as mqtt
import pybase64
from paho.mqtt.enums import CallbackAPIVersion

from service.simulator.photos import photo_jpeg

PROFILE, SOURCE, SERVICE = "loadgen-camera", "jpeg", "loadgen"
STALL_S = 2.0


@dataclass(frozen=True, slots=True)
class LoadSpec:
    """What to publish."""

    host: str
    port: int
    base_topic: str
    cameras: int
    fps: float
    seconds: float
    photos: tuple[str, ...]
    sensors_per_s: float
    closed_loop: bool
    window: int
    in_flight: int = 0  # closed loop: frames outstanding across all cameras (0 = --window per camera)


def camera_names(count: int) -> list[str]:
    """loadgen-cam-0, loadgen-cam-1, ..."""
    return [f"loadgen-cam-{index}" for index in range(count)]


def _event_request(device: str, profile: str, source: str, reading: dict[str, Any]) -> dict[str, Any]:
    """An AddEventRequest holding one reading of `source` (the reading's own fields given)."""
    now = time.time_ns()
    common = {"deviceName": device, "profileName": profile, "origin": now}
    event = {
        "apiVersion": "v3",
        "id": str(uuid.uuid4()),
        "sourceName": source,
        "readings": [{"id": str(uuid.uuid4()), "resourceName": source, **common, **reading}],
        **common,
    }
    return {"apiVersion": "v3", "requestId": str(uuid.uuid4()), "event": event}


def _envelope(payload: Any, content_type: str) -> bytes:
    """A MessageEnvelope in JSON, as go-mod-messaging writes it."""
    fields = {
        "apiVersion": "v3",
        "receivedTopic": "",
        "correlationID": str(uuid.uuid4()),
        "requestID": "",
        "errorCode": 0,
        "contentType": content_type,
    }
    if not isinstance(payload, bytes):
        return json.dumps({**fields, "payload": payload}).encode()
    # Base64 needs no JSON escaping: splicing it in spares json.dumps a scan of ~80 KB per frame
    # (100 us; the publisher shares the 2 cores with the service it loads).
    return json.dumps(fields)[:-1].encode() + b', "payload": "' + pybase64.b64encode(payload) + b'"}'


def frame_envelope(camera: str, jpeg: bytes) -> bytes:
    """device-rest's wire shape: JSON envelope, base64 CBOR AddEventRequest, one Binary reading."""
    reading = {"valueType": "Binary", "binaryValue": jpeg, "mediaType": "image/jpeg"}
    return _envelope(cbor2.dumps(_event_request(camera, PROFILE, SOURCE, reading)), "application/cbor")


def value_envelope(device: str, profile: str, resource: str, value_type: str, value: str) -> bytes:
    """A 4.x nested-JSON event with one reading (the shape device-virtual publishes)."""
    request = _event_request(device, profile, resource, {"valueType": value_type, "value": value})
    return _envelope(request, "application/json")


def sensor_envelope(device: str, seq: int) -> bytes:
    """A 4.x nested-JSON event with one Int64 reading `Seq`."""
    return value_envelope(device, "loadgen-sensor", "Seq", "Int64", str(seq))


def topic(base: str, profile: str, device: str, source: str) -> str:
    """edgex/events/device/loadgen/<profile>/<device>/<source>."""
    return f"{base}/events/device/{SERVICE}/{profile}/{device}/{source}"


class LoadGenerator:
    """Publishes per LoadSpec; run() blocks for --seconds and returns the counts."""

    def __init__(self, spec: LoadSpec) -> None:
        self._spec = spec
        self._jpegs = [photo_jpeg(name) for name in spec.photos]
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"loadgen-{uuid.uuid4().hex[:8]}")
        self._released: queue.Queue[str] = queue.Queue()
        self.frames = 0
        self.sensors = 0
        self.per_camera: dict[str, int] = {}
        self._last_sent: dict[str, float] = {}
        self._rotation: list[str] = []
        self._next = 0
        self._last_release = time.monotonic()

    def run(self) -> dict[str, object]:
        """Connect, publish until the time is up, disconnect."""
        self._client.connect(self._spec.host, self._spec.port)
        sock = self._client.socket()
        if isinstance(sock, socket.socket):  # a frame is ~70 KB: without this, Nagle holds its tail ~40 ms
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._client.loop_start()
        if self._spec.closed_loop:
            threading.Thread(target=self._read_releases, daemon=True).start()
        started = time.monotonic()
        try:
            self._publish_until(started + self._spec.seconds)
        finally:
            self._client.loop_stop()
            self._client.disconnect()
        elapsed = time.monotonic() - started
        return {
            "frames": self.frames,
            "sensors": self.sensors,
            "seconds": elapsed,
            "per_camera": dict(self.per_camera),
        }

    def _publish_until(self, deadline: float) -> None:
        spec = self._spec
        names = camera_names(spec.cameras)
        period = 1.0 / spec.fps if spec.fps > 0 else 0.0
        next_frame = dict.fromkeys(names, time.monotonic())
        next_sensor = time.monotonic()
        self._rotation = names
        if spec.closed_loop and spec.in_flight:
            for index in range(spec.in_flight):
                self._frame(names[index % len(names)])
        elif spec.closed_loop:
            for name in names:
                for _ in range(spec.window):
                    self._frame(name)
        while (now := time.monotonic()) < deadline:
            if spec.closed_loop:
                self._drain_releases(deadline)
            else:
                for name in names:
                    if now >= next_frame[name]:
                        next_frame[name] += period
                        self._frame(name)
            if spec.sensors_per_s > 0 and now >= next_sensor:
                next_sensor += 1.0 / spec.sensors_per_s
                self._sensor()
            if not spec.closed_loop:
                soonest = min(min(next_frame.values()), next_sensor if spec.sensors_per_s > 0 else deadline)
                time.sleep(max(0.0, min(soonest, deadline) - time.monotonic()))

    def _drain_releases(self, deadline: float) -> None:
        try:
            camera = self._released.get(timeout=min(0.01, max(0.0, deadline - time.monotonic())))
        except queue.Empty:
            self._unstick()
            return
        self._last_release = time.monotonic()
        if self._spec.in_flight:
            self._next = (self._next + 1) % len(self._rotation)
            camera = self._rotation[self._next]
        self._frame(camera)

    def _unstick(self) -> None:
        """A frame the service dropped is never released: resend after STALL_S of silence."""
        now = time.monotonic()
        if self._spec.in_flight:
            if now - self._last_release > STALL_S:
                self._last_release = now
                self._frame(self._rotation[self._next])
            return
        for camera, last in list(self._last_sent.items()):
            if now - last > STALL_S:
                self._frame(camera)

    def _frame(self, camera: str) -> None:
        count = self.per_camera.get(camera, 0)
        self.per_camera[camera] = count + 1
        jpeg = self._jpegs[count % len(self._jpegs)]  # every camera cycles through the photos
        self._last_sent[camera] = time.monotonic()
        target = topic(self._spec.base_topic, PROFILE, camera, SOURCE)
        self._client.publish(target, frame_envelope(camera, jpeg))
        self.frames += 1

    def _sensor(self) -> None:
        device = f"sensor-{self.sensors}"
        self._client.publish(
            topic(self._spec.base_topic, "loadgen-sensor", device, "Seq"),
            sensor_envelope(device, self.sensors),
            qos=1,
        )
        self.sensors += 1

    def _read_releases(self) -> None:
        for line in sys.stdin:
            name = line.strip()
            if name:
                self._released.put(name)


def parse_args(argv: Sequence[str] | None) -> LoadSpec:
    parser = argparse.ArgumentParser(prog="loadgen", description="Publish EdgeX camera frames over MQTT.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1883)
    parser.add_argument("--base-topic", default="edgex")
    parser.add_argument("--cameras", type=int, default=4)
    parser.add_argument("--fps", type=float, default=30.0, help="per camera, open loop")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--photos", default="astronaut,coffee,camera,chelsea")
    parser.add_argument("--sensors-per-s", type=float, default=0.0)
    parser.add_argument("--closed-loop", action="store_true", help="next frame when stdin names the camera")
    parser.add_argument("--window", type=int, default=1, help="frames outstanding per camera (closed loop)")
    parser.add_argument("--in-flight", type=int, default=0, help="frames outstanding in all (closed loop)")
    args = parser.parse_args(argv)
    return LoadSpec(
        args.host,
        args.port,
        args.base_topic,
        args.cameras,
        args.fps,
        args.seconds,
        tuple(args.photos.split(",")),
        args.sensors_per_s,
        args.closed_loop,
        args.window,
        args.in_flight,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point: prints {"frames", "sensors", "seconds", "per_camera"} as JSON when done."""
    summary = LoadGenerator(parse_args(argv)).run()
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
