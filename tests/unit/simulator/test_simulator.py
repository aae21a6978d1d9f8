"""Simulator: demo photos, demo settings, camera and PIR events, the light answering bus commands."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from service.edgex.bus import MemoryBus
from service.edgex.commands import BusCommandClient, BusCommandSettings
from service.edgex.dtos import AddEventRequest
from service.edgex.envelope import event_from_envelope
from service.edgex.wire_format import WireFormat
from service.pipeline.settings import PipelineSettings, SimulatorSettings
from service.simulator import (
    DEMO_RULE_NAMES,
    Simulator,
    SimulatorDeps,
    SimulatorError,
    embedded_default,
    with_demo,
)
from service.simulator.photos import letterbox, photo_jpeg
from tests.unit.pipeline.support import wait_for

pytest.importorskip("skimage", reason="scikit-image provides the demo photos: pip install -e '.[test]'")


def test_photos_are_640x480_jpegs() -> None:
    image = cv2.imdecode(np.frombuffer(photo_jpeg("camera"), np.uint8), cv2.IMREAD_COLOR)
    assert image is not None and image.shape == (480, 640, 3)
    with pytest.raises(SimulatorError, match="unknown demo photo"):
        photo_jpeg("lena")
    assert letterbox(np.zeros((10, 40, 3), np.uint8), 20, 20).shape == (20, 20, 3)


def test_demo_adds_devices_and_rules_but_configured_ones_win() -> None:
    configured = PipelineSettings.model_validate(
        {
            "Simulator": {"Enabled": True},
            "Rules": [{"Name": "demo-person", "Detection": {"MinScore": 0.9}}],
        }
    )
    settings = with_demo(configured)
    assert [r.Name for r in settings.Rules] == list(DEMO_RULE_NAMES)
    assert settings.Rules[0].Detection is not None and settings.Rules[0].Detection.MinScore == 0.9
    assert {name: d.Role for name, d in settings.Devices.items()} == {
        "sim-camera": "camera",
        "sim-pir": "sensor",
        "sim-light": "actuator",
    }


def test_devices_publish_and_the_light_answers_commands() -> None:
    wire = WireFormat()
    bus = MemoryBus(wire)
    bus.connect()
    events: list[tuple[str, AddEventRequest]] = []
    bus.subscribe(
        ["edgex/events/#"],
        lambda topic, env: events.append((topic, event_from_envelope(env))),
        lambda *_: None,
    )
    simulator = Simulator(
        SimulatorDeps(SimulatorSettings(Enabled=True, Fps=20, PirEveryS=0.1), bus, wire, "edgex")
    )
    simulator.start()
    try:
        assert wait_for(lambda: len({req.event.device_name for _, req in events}) == 2)
        topic, camera = next((t, r) for t, r in events if r.event.device_name == "sim-camera")
        assert topic == "edgex/events/device/device-simulator/sim-camera/sim-camera/jpeg"
        assert camera.event.readings[0].media_type == "image/jpeg"
        commands = BusCommandClient(bus, BusCommandSettings(timeout_s=2))
        result = commands.set("sim-light", "Switch", {"SwitchButton": "true"})
        assert result.ok and simulator.light_on
        read = commands.get("sim-light", "Switch")
        assert read.ok and read.event is not None and read.event.readings[0].value == "true"
        assert not commands.set("sim-light", "Switch", {"SwitchButton": "maybe"}).ok
        assert commands.set("sim-light", "Dim", {"Level": "3"}).status == 404
        assert wait_for(lambda: any(r.event.device_name == "sim-light" for _, r in events))
    finally:
        simulator.stop()
        bus.close()


def test_embedded_default_only_when_enabled() -> None:
    bus = MemoryBus(WireFormat())
    plain = PipelineSettings()
    assert embedded_default(plain, bus, WireFormat(), "edgex") == (plain, None)
    settings, simulator = embedded_default(
        PipelineSettings.model_validate({"Simulator": {"Enabled": True}}), bus, WireFormat(), "edgex"
    )
    assert simulator is not None and [r.Name for r in settings.Rules] == list(DEMO_RULE_NAMES)
