"""Issue 17 against the real core-data 4.0: app-vision's analytics readings are stored as numbers.

A pipeline counting a zone and a line publishes its counts on the stack's Mosquitto, as it does in
production (CountOutput -> outbox -> ActionSenders.send_counts); core-data stores them, and its
reading queries answer them with valueType Int64/Float64 and, with numeric=true, as JSON numbers.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.edgex.bus import BusSettings, create_bus
from service.edgex.wire_format import WireFormat
from service.metrics import Metrics
from service.pipeline.actions.outbox import Outbox
from service.pipeline.actions.plan import KIND_ANALYTICS
from service.pipeline.analysis.analyser import FrameAnalyser
from service.pipeline.analysis.sighting import FrameView, Sighting
from service.pipeline.cameras.camera_state import CameraTable
from service.pipeline.control.count_output import CountOutput, CountOutputDeps
from service.pipeline.settings import PipelineSettings
from service.pipeline.state.state_store import StateStore
from tests.edgex.stack import EdgexStack
from tests.interop.results import senders
from tests.unit.pipeline.support import FakeEngine, wait_for

pytestmark = pytest.mark.edgex

CAMERA = f"edgex-cam-{uuid.uuid4().hex[:6]}"
SETTINGS = PipelineSettings.model_validate(
    {
        "Devices": {
            CAMERA: {
                "Role": "camera",
                "Zones": {"till": [[0, 0.6], [1, 0.6], [1, 1], [0, 1]]},
                "Lines": {"gate": {"Points": [[0, 0.5], [1, 0.5]], "InDirection": "down"}},
            }
        },
        "Counting": {"MinPublishGapS": 0},
    }
)


def _readings(stack: EdgexStack, device: str, resource: str, numeric: bool) -> list[dict[str, Any]]:
    url = f"{stack.url('core-data')}/api/v3/reading/device/name/{device}/resourceName/{resource}"
    response = httpx.get(url, params={"numeric": str(numeric).lower(), "limit": "100"}, timeout=10)
    assert response.status_code == 200, response.text
    readings: list[dict[str, Any]] = response.json()["readings"]
    return readings


def test_counts_are_stored_by_core_data_as_numbers(edgex_stack: EdgexStack, tmp_path: Path) -> None:
    wire = WireFormat()
    bus = create_bus(
        BusSettings(type="mqtt", host=edgex_stack.mqtt_host, port=edgex_stack.mqtt_port, client_id=CAMERA),
        wire,
    )
    bus.connect()
    assert wait_for(lambda: bus.connected, 10)
    state = StateStore(tmp_path / "state.sqlite", 10)
    outbox = Outbox(tmp_path / "outbox.sqlite", SETTINGS.Outbox)
    metrics = Metrics()
    cameras = CameraTable(SETTINGS, FrameAnalyser(SETTINGS, FakeEngine()).new_state, metrics)
    output = CountOutput(
        CountOutputDeps(SETTINGS, cameras, outbox, state, metrics, lambda _r: None, lambda _k: None)
    )
    try:
        now = time.time()
        output.start(now)
        camera = cameras.state(CAMERA)
        assert camera.counter is not None
        for step, feet_y in enumerate((0.4, 0.7, 0.7)):  # crosses the gate going down, into the till
            t = now + 0.5 * (step + 1)
            box = (300.0, feet_y * 480 - 200, 340.0, feet_y * 480)
            zones = ("till",) if feet_y >= 0.6 else ()
            sighting = Sighting("person", "person", 0.9, box, zones, 1, False, (0.9,))
            view = FrameView(CAMERA, 640, 480, (sighting,), int(t * 1e9), t, 0.05)
            output.counted(camera, camera.counter.update(view), t)
        send, _ = senders(bus, wire, tmp_path)
        while (item := outbox.due(KIND_ANALYTICS, time.time())) is not None:
            send.send_counts(item)
            outbox.mark_delivered(item.row_id, 1.0, "ok")

        gate, till = f"{CAMERA}.gate", f"{CAMERA}.till"
        deadline = time.monotonic() + 15
        while (
            not _readings(edgex_stack, gate, "In", numeric=False)
            or _readings(edgex_stack, gate, "In", numeric=False)[0]["value"] != "1"
        ):
            assert time.monotonic() < deadline, "core-data did not store the gate's In count"
            time.sleep(0.2)
        (newest_in, *_) = _readings(edgex_stack, gate, "In", numeric=True)
        assert (newest_in["valueType"], newest_in["value"]) == ("Int64", 1)
        (occupancy, *_) = _readings(edgex_stack, till, "Occupancy", numeric=True)
        assert (occupancy["valueType"], occupancy["value"], occupancy["profileName"]) == (
            "Int64",
            1,
            "app-vision-analytics",
        )
        crossing = _readings(edgex_stack, gate, "Crossing", numeric=False)[0]
        assert crossing["valueType"] == "Object" and crossing["objectValue"]["direction"] == "in"
    finally:
        outbox.close()
        state.close()
        bus.close()
