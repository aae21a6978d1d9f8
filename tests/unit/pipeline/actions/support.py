"""Shared by the action tests: a rule with every action, a sighting, an alert change."""

from __future__ import annotations

from service.pipeline.analysis.sighting import FrameView, Sighting
from service.pipeline.rule_settings import RuleSettings
from service.pipeline.state.records import Alert, AlertChange

SIGHTING = Sighting("person", "person", 0.91, (10.0, 20.0, 110.0, 320.0), ("door",), 3, False, (0.91,))
RULE = RuleSettings.model_validate(
    {
        "Name": "door-person",
        "Detection": {},
        "Severity": "CRITICAL",
        "Actions": {
            "Command": {"Device": "light", "Command": "Switch", "Body": {"SwitchButton": "true"}},
            "Notification": {"Category": "security", "Labels": ["site-1"]},
        },
    }
)


def change(transition: str = "new", sequence: int = 0) -> AlertChange:
    alert = Alert(
        "a-1",
        "door-person",
        "cam",
        "CRITICAL",
        "person",
        "1 person seen by cam",
        "active",
        100.0,
        100.0,
        100.0,
        sightings=(SIGHTING,),
        latency_s=0.042,
    )
    view = FrameView("cam", 640, 480, (SIGHTING,), 99_950_000_000, 100.0, 0.042, "frame-event")
    return AlertChange(transition, alert, view, sequence)  # type: ignore[arg-type]
