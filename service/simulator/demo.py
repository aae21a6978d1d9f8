"""The embedded default's devices and sample rules, added to the configured ones when the simulator runs.

Rules (names in DEMO_RULE_NAMES; a configured rule of the same name wins):
- `demo-person`: a person on the simulated camera -> result events, the light switched on, a
  snapshot kept (MINOR severity, no notification: the demo runs without support-notifications);
- `demo-pir-person`: PIR rising edge, then a person within 6 s -> alert (fusion, "seen");
- `demo-pir-no-person`: PIR rising edge and no person within 6 s -> alert (fusion, "absent").
"""

from __future__ import annotations

from service.edgex.bus import MessageBus
from service.edgex.wire_format import WireFormat
from service.pipeline.rule_settings import RuleSettings
from service.pipeline.settings import DeviceSettings, PipelineSettings
from service.simulator.devices import LIGHT_COMMAND, LIGHT_RESOURCE, PIR_RESOURCE, Simulator, SimulatorDeps

DEMO_RULE_NAMES = ("demo-person", "demo-pir-person", "demo-pir-no-person")


def demo_rules(settings: PipelineSettings) -> list[RuleSettings]:
    """The sample rule set, bound to the simulator's device names."""
    sim = settings.Simulator
    person = {"Labels": ["person"], "MinScore": 0.5}
    trigger = {
        "Device": sim.Pir,
        "Resource": PIR_RESOURCE,
        "Edge": "rising",
        "Camera": sim.Camera,
        "WindowS": 6,
    }
    return [
        RuleSettings.model_validate(
            {
                "Name": "demo-person",
                "Cameras": [sim.Camera],
                "Detection": person,
                "Severity": "MINOR",
                "CooldownS": 20,
                "EndAfterS": 12,
                "UpdateEveryS": 5,
                "Actions": {
                    "Command": {
                        "Device": sim.Light,
                        "Command": LIGHT_COMMAND,
                        "Body": {LIGHT_RESOURCE: "true"},
                    }
                },
            }
        ),
        RuleSettings.model_validate(
            {
                "Name": "demo-pir-person",
                "Detection": person,
                "Trigger": {**trigger, "Expect": "seen"},
                "Severity": "NORMAL",
                "CooldownS": 0,
                "EndAfterS": 5,
            }
        ),
        RuleSettings.model_validate(
            {
                "Name": "demo-pir-no-person",
                "Detection": person,
                "Trigger": {**trigger, "Expect": "absent"},
                "Severity": "MINOR",
                "CooldownS": 0,
                "EndAfterS": 5,
            }
        ),
    ]


def with_demo(settings: PipelineSettings) -> PipelineSettings:
    """Settings plus the simulator's devices and the sample rules (configured entries win)."""
    sim = settings.Simulator
    devices = {
        sim.Camera: DeviceSettings(Role="camera"),
        sim.Pir: DeviceSettings(Role="sensor"),
        sim.Light: DeviceSettings(Role="actuator"),
        **settings.Devices,
    }
    configured = {rule.Name for rule in settings.Rules}
    rules = [*settings.Rules, *(r for r in demo_rules(settings) if r.Name not in configured)]
    data = settings.model_dump()
    data.update(
        Devices={k: v.model_dump() for k, v in devices.items()}, Rules=[r.model_dump() for r in rules]
    )
    return PipelineSettings.model_validate(data)


def embedded_default(
    settings: PipelineSettings, bus: MessageBus, wire: WireFormat, base_topic: str
) -> tuple[PipelineSettings, Simulator | None]:
    """With Simulator.Enabled: the settings plus the demo devices and rules, and the simulator to
    start after the pipeline (stop it before the pipeline). Otherwise the settings as they are."""
    if not settings.Simulator.Enabled:
        return settings, None
    return with_demo(settings), Simulator(SimulatorDeps(settings.Simulator, bus, wire, base_topic))
