"""The load generator's closed loop (bench.e2e's load), over real Mosquitto: it keeps exactly the
outstanding frames it was told to, sends the next one as each release line arrives on its stdin, and
rotates through the cameras."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from service.edgex.envelope import decode_envelope, event_from_envelope
from tests.bus.brokers import Broker
from tests.unit.pipeline.support import wait_for

IN_FLIGHT, RELEASES = 2, 20


def test_each_release_sends_the_next_frame_and_no_more(broker: Broker) -> None:
    frames: list[str] = []  # device names, in arrival order
    not_frames: list[str] = []  # ids of events without a JPEG
    lock = threading.Lock()
    subscribed = threading.Event()

    def on_message(_client: object, _userdata: object, message: mqtt.MQTTMessage) -> None:
        event = event_from_envelope(decode_envelope(bytes(message.payload), message.topic)).event
        reading = event.readings[0]
        with lock:
            frames.append(event.device_name)
            if reading.media_type != "image/jpeg" or not reading.binary_value:
                not_frames.append(event.id)

    client = mqtt.Client(CallbackAPIVersion.VERSION2)
    client.on_message = on_message
    client.on_subscribe = lambda *_: subscribed.set()
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    client.subscribe("edgex/events/device/loadgen/#")
    assert subscribed.wait(5)
    command = [sys.executable, "-m", "service.simulator.loadgen", "--port", str(broker.port)]
    command += ["--cameras", "4", "--seconds", "30", "--closed-loop", "--in-flight", str(IN_FLIGHT)]
    publisher = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert publisher.stdin is not None
    try:
        assert wait_for(lambda: len(frames) == IN_FLIGHT, 10)
        assert not wait_for(lambda: len(frames) > IN_FLIGHT, 0.5)  # nothing without a release
        for released in range(1, RELEASES + 1):
            publisher.stdin.write(f"{frames[released - 1]}\n")
            publisher.stdin.flush()
            assert wait_for(lambda n=released: len(frames) == IN_FLIGHT + n, 5)
        time.sleep(0.3)
        assert len(frames) == IN_FLIGHT + RELEASES  # one frame per release, never more
        # in-flight mode hands each release to the next camera in turn
        assert frames[:8] == [f"loadgen-cam-{i % 4}" for i in range(8)]
        assert not_frames == []
        publisher.stdin.close()  # EOF: no more releases, the generator still runs to its end
        publisher.terminate()
        publisher.wait(10)
    finally:
        if publisher.poll() is None:
            publisher.kill()
        client.loop_stop()
        client.disconnect()
