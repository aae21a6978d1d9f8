"""Issue 17 end to end over Mosquitto: synthetic scenes (tests/analytics) published in real time as
camera events, the real person model, tracker and counter, and the analytics readings stored by the
core-data stand-in as numbers; an occupancy rule fires and ends; a restart mid-scene keeps the counts.

The core-data stand-in (tests/fakes/core_data.py) listens on its own MQTT connection, decodes and
validates every event as core-data 4.0 does and stores Int64/Float64 values as numbers.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from service.edgex.bus import BusSettings, MessageBus, create_bus
from service.edgex.wire_format import WireFormat
from service.pipeline.analysis.annotate import encode_jpeg
from tests.analytics.scene_set import IN_AND_BACK, QUEUE_SCENE
from tests.analytics.scenes import Scene, render
from tests.bus.brokers import Broker
from tests.fakes.core_data import FakeCoreData
from tests.fakes.support_notifications import FakeSupportNotifications
from tests.pipeline.conftest import RunningService, ServiceFactory
from tests.pipeline.plain import PlainMqtt
from tests.unit.pipeline.support import wait_for

CAMERA = "shop-cam"


@pytest.fixture
def core_data(broker: Broker) -> Iterator[FakeCoreData]:
    bus: MessageBus = create_bus(
        BusSettings(
            type="mqtt", host="127.0.0.1", port=broker.port, client_id=f"core-data-{uuid.uuid4().hex[:6]}"
        ),
        WireFormat(),
    )
    bus.connect()
    assert wait_for(lambda: bus.connected, 10)
    with FakeCoreData(bus) as fake:
        yield fake
    bus.close()


def frames_of(scene: Scene) -> list[tuple[float, bytes]]:
    return [(frame.time_s, encode_jpeg(frame.image, 90)) for frame in render(scene)]


def play(plain: PlainMqtt, frames: Sequence[tuple[float, bytes]], start_s: float = 0.0) -> None:
    """Publish the frames from scene time start_s on, at the scene's own pace."""
    shown = [(t, jpeg) for t, jpeg in frames if t >= start_s]
    began = time.monotonic() - (shown[0][0] if shown else 0.0)
    for t, jpeg in shown:
        delay = began + t - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        plain.jpeg(CAMERA, jpeg)


def settings_for(scene: Scene, *rules: dict[str, Any]) -> dict[str, Any]:
    return {
        "Devices": {
            CAMERA: {
                "Role": "camera",
                "Zones": {name: [list(p) for p in polygon] for name, polygon in scene.zones.items()},
                "Lines": {name: line.model_dump() for name, line in scene.lines.items()},
            }
        },
        "Counting": {"MinPublishGapS": 0.25, "PublishIntervalS": 5},
        "Rules": list(rules),
    }


def latest(core: FakeCoreData, device: str, resource: str) -> int | float | None:
    stored = core.readings(device, resource)
    return stored[-1].number if stored else None


def test_queue_counts_reach_core_data_as_numbers_and_the_occupancy_rule_fires_and_ends(
    start_service: ServiceFactory,
    plain: PlainMqtt,
    core_data: FakeCoreData,
    notifications: FakeSupportNotifications,
) -> None:
    busy = {
        "Name": "queue-busy",
        "Cameras": [CAMERA],
        "Sensors": [
            {"Device": f"{CAMERA}.queue", "Resource": "Occupancy", "Op": "ge", "Value": 2, "ForS": 1}
        ],
        "EndAfterS": 1,
        "CooldownS": 0,
        "Actions": {"Notification": {"Category": "retail"}},
    }
    service = start_service(settings_for(QUEUE_SCENE, busy))
    play(plain, frames_of(QUEUE_SCENE))
    device = f"{CAMERA}.queue"
    core_data.wait_for(lambda c: latest(c, device, "Exits") == 2, 10)
    assert core_data.rejected == []
    expected = QUEUE_SCENE.expected
    assert latest(core_data, device, "Entries") == expected.entries["queue"] == 2
    assert latest(core_data, device, "Occupancy") == 0
    assert max(r.number or 0 for r in core_data.readings(device, "PeakOccupancy")) == expected.peaks["queue"]
    entries = core_data.readings(device, "Entries")
    assert {r.value_type for r in entries} == {"Int64"} and all(isinstance(r.number, int) for r in entries)
    dwell = core_data.readings(device, "DwellP50")
    assert dwell and dwell[-1].value_type == "Float64" and isinstance(dwell[-1].number, float)
    # The astronaut waits about 6.5 s in the queue, the cameraman about 4 s (first to last frame inside).
    assert 3.0 <= (latest(core_data, device, "DwellP50") or 0) <= 7.0
    exits = [r.object_value for r in core_data.readings(device, "ZoneExit")]
    assert [e["reason"] for e in exits if isinstance(e, dict)] == ["left", "left"]

    def transitions() -> list[str]:
        return [r.state for r in plain.results_of("queue-busy")]

    assert wait_for(lambda: "end" in transitions(), 5), transitions()
    assert transitions()[0] == "new" and transitions()[-1] == "end"
    new = plain.results_of("queue-busy")[0].alert
    assert new["camera"] == CAMERA and "Occupancy ge 2 for 1 s" in new["summary"]
    assert wait_for(lambda: len(notifications.notifications) == 1, 5)
    assert "queue-busy" in notifications.notifications[0]["labels"]
    counts = service.pipeline.view.counts()[CAMERA]
    assert [(z.zone, z.entries, z.exits, z.occupancy) for z in counts.zones] == [("queue", 2, 2, 0)]
    assert service.metric("zone_entries_total", camera=CAMERA, zone="queue") == 2


def test_a_restart_in_the_middle_of_a_scene_keeps_the_counts(
    start_service: ServiceFactory, plain: PlainMqtt, core_data: FakeCoreData
) -> None:
    frames = frames_of(IN_AND_BACK)  # door: in at about 2.9 s, out at about 8.1 s; waits right of it
    first: RunningService = start_service(settings_for(IN_AND_BACK))
    play(plain, [f for f in frames if f[0] < 5.0])
    door = f"{CAMERA}.door"
    core_data.wait_for(lambda c: latest(c, door, "In") == 1, 5)
    first.stop()

    again = start_service(settings_for(IN_AND_BACK))
    core_data.wait_for(lambda c: len(c.readings(door, "In")) >= 2, 5)  # published at start: restored
    assert latest(core_data, door, "In") == 1
    play(plain, frames, start_s=5.0)
    core_data.wait_for(lambda c: latest(c, door, "Out") == 1, 10)
    assert latest(core_data, door, "In") == IN_AND_BACK.expected.lines["door"][0] == 1
    assert core_data.rejected == []
    zone = f"{CAMERA}.right"
    reasons = [
        r.object_value["reason"]
        for r in core_data.readings(zone, "ZoneExit")
        if isinstance(r.object_value, dict)
    ]
    assert reasons[0] == "restart"  # the visit open at the restart ended with it; the walker entered again
    (line,) = again.pipeline.view.counts()[CAMERA].lines
    assert (line.in_count, line.out_count) == (1, 1)
