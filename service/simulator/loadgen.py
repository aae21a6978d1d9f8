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
import os
import select
import socket
import sys
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
RELEASE_WAIT_S = 0.01  # closed loop: how often a silent stdin is checked for a stall


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
        self._stdin = sys.stdin.fileno() if spec.closed_loop else -1
        self._stdin_open = spec.closed_loop  # releases come on stdin
        self._partial = b""  # a release line not complete yet
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
        started = time.monotonic()
        try:
            self._publish_until(started + self._spec.seconds)
        finally:
            self._client.disconnect()
            self._wait(0.0)  # let the DISCONNECT go out
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
            self._next = (spec.in_flight - 1) % len(names)  # the first release goes to the camera after
        elif spec.closed_loop:
            for name in names:
                for _ in range(spec.window):
                    self._frame(name)
        while (now := time.monotonic()) < deadline:
            if not spec.closed_loop:
                for name in names:
                    if now >= next_frame[name]:
                        next_frame[name] += period
                        self._frame(name)
            if spec.sensors_per_s > 0 and now >= next_sensor:
                next_sensor += 1.0 / spec.sensors_per_s
                self._sensor()
            # closed loop: frames go out as releases come in, so only a stall check has a time
            soonest = now + RELEASE_WAIT_S if spec.closed_loop else min(next_frame.values())
            if spec.sensors_per_s > 0:
                soonest = min(soonest, next_sensor)
            if not self._wait(max(0.0, min(soonest, deadline) - time.monotonic())) and spec.closed_loop:
                self._unstick()

    def _wait(self, timeout_s: float) -> bool:
        """Serve the MQTT socket (and, closed loop, stdin) for up to timeout_s, on this thread alone:
        a release read here is published here, and publish() writes straight to the socket, with no
        hand-off to another thread (each costs a wake-up on the cores the service is measured on).
        True when a release came."""
        client = self._client
        sock = client.socket()
        if not isinstance(sock, socket.socket):
            time.sleep(timeout_s)
            return False
        readers: list[int | socket.socket] = [sock]
        if self._stdin_open:
            readers.append(self._stdin)
        readable, writable, _ = select.select(readers, [sock] if client.want_write() else [], [], timeout_s)
        if sock in readable:
            client.loop_read()
        if sock in writable:
            client.loop_write()
        client.loop_misc()
        if self._stdin not in readable:
            return False
        released = self._read_releases()
        for camera in released:
            self._release(camera)
        return bool(released)

    def _release(self, camera: str) -> None:
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

    def _read_releases(self) -> list[str]:
        """Camera names of the complete lines waiting on stdin (it is readable)."""
        data = os.read(self._stdin, 65536)
        if not data:
            self._stdin_open = False
            return []
        lines = (self._partial + data).split(b"\n")
        self._partial = lines.pop()
        return [name for line in lines if (name := line.decode().strip())]


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
