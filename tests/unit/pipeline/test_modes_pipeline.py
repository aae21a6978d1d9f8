"""Modes through the assembled pipeline: a switch over the view stops a rule from alerting on the
same frame, the switch goes out as an app-vision-mode event core-data accepts, and the mode
survives a restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from service.edgex.event_validation import validate_add_event_request
from tests.unit.pipeline.support import RED, jpeg, wait_for
from tests.unit.pipeline.test_assembly import PERSON_RULE, Harness

SETTINGS: dict[str, Any] = {
    "Rules": [{**PERSON_RULE, "CooldownS": 0, "EndAfterS": 0.3}],
    "Modes": {"Modes": {"home": [], "away": ["person"]}, "Default": "away"},
}


def mode_events(harness: Harness) -> list[dict[str, str]]:
    found = []
    for req in harness.results:
        if req.event.profile_name == "app-vision-mode":
            validate_add_event_request(req)
            found.append({r.resource_name: str(r.value) for r in req.event.readings})
    return found


def alerts(harness: Harness) -> int:
    return len(harness.pipeline.view.active_alerts()) + len(harness.pipeline.view.recent_alerts())


def test_a_mode_without_the_rule_stops_it_alerting_and_the_switch_is_published(tmp_path: Path) -> None:
    harness = Harness(tmp_path, SETTINGS)
    harness.pipeline.start()
    try:
        assert wait_for(lambda: mode_events(harness) == [{"Mode": "away", "ModeSource": "start"}], 3)
        harness.publish_frame("cam", jpeg(RED))
        assert wait_for(lambda: alerts(harness) == 1, 3)
        assert wait_for(lambda: not harness.pipeline.view.active_alerts(), 3)  # ended (EndAfterS)
        state = harness.pipeline.view.switch_mode("home")
        assert (state.mode, state.previous, state.source) == ("home", "away", "manual")
        harness.publish_frame("cam", jpeg(RED))
        assert wait_for(lambda: harness.metric("frame_to_result_seconds_count", camera="cam") >= 2, 3)
        assert not wait_for(lambda: alerts(harness) > 1, 0.5)  # the same frame no longer alerts
        assert wait_for(lambda: len(mode_events(harness)) == 2, 3)
        assert mode_events(harness)[1] == {"Mode": "home", "PreviousMode": "away", "ModeSource": "manual"}
        assert (
            harness.metric("mode_active", mode="home") == 1
            and harness.metric("mode_active", mode="away") == 0
        )
    finally:
        harness.pipeline.stop()
        harness.bus.close()

    again = Harness(tmp_path, SETTINGS)
    again.pipeline.start()
    try:
        mode = again.pipeline.view.mode()
        assert mode is not None and (mode.mode, mode.source) == ("home", "manual")
        again.publish_frame("cam", jpeg(RED))
        assert wait_for(lambda: again.metric("frame_to_result_seconds_count", camera="cam") >= 1, 3)
        assert not wait_for(lambda: again.pipeline.view.active_alerts(), 0.5)
    finally:
        again.pipeline.stop()
        again.bus.close()
