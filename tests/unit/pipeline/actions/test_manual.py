"""Manual actions: settings, runs queued through the outbox (the second command ThenAfterS later),
outcomes kept per run and across a restart, and the whole path through the assembled pipeline."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from service.pipeline.actions.manual import ManualActions, UnknownAction
from service.pipeline.actions.outbox import Outbox
from service.pipeline.actions.payloads import CommandPayload
from service.pipeline.settings import OutboxSettings, PipelineSettings
from service.pipeline.state.records import ActionOutcome
from service.pipeline.state.state_store import StateStore
from tests.unit.pipeline.support import StubCommands, wait_for
from tests.unit.pipeline.test_assembly import Harness

SIREN = {
    "Device": "siren",
    "Command": "Alarm",
    "Body": {"On": "true"},
    "ThenAfterS": 10,
    "ThenBody": {"On": "false"},
}
LIGHT = {
    "Device": "porch-light",
    "Command": "Switch",
    "Body": {"SwitchButton": "true"},
    "Label": "Porch light",
}


def settings(**actions: dict[str, Any]) -> PipelineSettings:
    return PipelineSettings.model_validate({"ManualActions": actions})


@pytest.mark.parametrize(
    ("actions", "message"),
    [
        ({"siren": {**SIREN, "ThenBody": {}}}, "ThenAfterS and ThenBody go together"),
        ({"porch light": LIGHT}, "action name 'porch light'"),
        ({"light": {**LIGHT, "Body": {}}}, "Body"),
        ({"light": {**LIGHT, "Colour": "red"}}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_actions_name_the_problem(actions: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        PipelineSettings.model_validate({"ManualActions": actions})


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_run_queues_its_commands_the_second_one_then_after_s_later(tmp_path: Path) -> None:
    clock, woken = Clock(), []
    outbox = Outbox(tmp_path / "outbox.sqlite", OutboxSettings(), clock)
    manual = ManualActions(settings(siren=SIREN).ManualActions, outbox, woken.append, clock)
    run = manual.run("siren", by="admin")
    assert (run.action, run.device, run.command, run.by, run.started_s) == (
        "siren",
        "siren",
        "Alarm",
        "admin",
        1000,
    )
    assert [(s.step, s.outcome) for s in run.steps] == [(0, "queued"), (1, "queued")]
    first = outbox.due("command", 1000.0)
    assert first is not None and first.key == f"manual/{run.run_id}/0"
    assert CommandPayload.model_validate_json(first.payload).body == {"On": "true"}
    outbox.mark_delivered(first.row_id, 1.0, "200")
    assert outbox.due("command", 1009.9) is None
    second = outbox.due("command", 1010.0)
    assert second is not None and CommandPayload.model_validate_json(second.payload).body == {"On": "false"}
    assert woken == ["command", "command"]
    with pytest.raises(UnknownAction, match="unknown action 'alarm'; actions: siren"):
        manual.run("alarm")
    outbox.close()


def test_outcomes_are_kept_per_run_and_survive_a_restart(tmp_path: Path) -> None:
    clock = Clock()
    outbox = Outbox(tmp_path / "outbox.sqlite", OutboxSettings(), clock)
    state = StateStore(tmp_path / "state.sqlite", 10)
    manual = ManualActions(settings(light=LIGHT).ManualActions, outbox, lambda _k: None, clock, state)
    run = manual.run("light")
    item = outbox.due("command", 1000.0)
    assert item is not None
    assert manual.record(
        item, ActionOutcome(item.key, "command", "delivered", 1, 12.5, "200 in 12.5 ms", 1001.0)
    )
    other = ActionOutcome("a-1/0/command", "command", "delivered", 1, 1.0, "200", 1001.0)
    assert not manual.record(replace(item, key="a-1/0/command"), other)  # an alert's row
    (latest,) = manual.history()
    assert latest.run_id == run.run_id
    assert [(s.outcome, s.attempts, s.detail) for s in latest.steps] == [("delivered", 1, "200 in 12.5 ms")]
    again = ManualActions(settings(light=LIGHT).ManualActions, outbox, lambda _k: None, clock, state)
    assert [(r.run_id, r.steps[0].outcome) for r in again.history()] == [(run.run_id, "delivered")]
    state.close()
    outbox.close()


def test_a_run_through_the_pipeline_reaches_core_command_and_shows_its_outcome(tmp_path: Path) -> None:
    commands = StubCommands()
    harness = Harness(
        tmp_path, {"ManualActions": {"porch": LIGHT, "siren": {**SIREN, "ThenAfterS": 0.3}}}, commands
    )
    harness.pipeline.start()
    try:
        view = harness.pipeline.view
        assert list(view.manual_actions()) == ["porch", "siren"]
        run = view.run_action("siren")
        assert wait_for(lambda: len(commands.sets) == 2, 3), commands.sets
        assert commands.sets == [("siren", "Alarm", {"On": "true"}), ("siren", "Alarm", {"On": "false"})]

        def steps() -> list[tuple[int, str]]:
            latest = next(r for r in view.action_history() if r.run_id == run.run_id)
            return [(s.step, s.outcome) for s in latest.steps]

        assert wait_for(lambda: steps() == [(0, "delivered"), (1, "delivered")], 3), steps()
        commands.status = 404
        refused = view.run_action("porch")
        assert wait_for(lambda: [s.outcome for s in view.action_history()[0].steps] == ["dead"], 3), (
            view.action_history()[0]
        )
        assert view.action_history()[0].run_id == refused.run_id
        assert harness.metric("actions_total", kind="command", outcome="dead") == 1
    finally:
        harness.pipeline.stop()
        harness.bus.close()
