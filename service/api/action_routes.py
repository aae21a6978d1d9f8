"""Manual action routes: the configured device commands a person may start, their runs and outcomes.

    GET  /api/v3/actions           every action (label, device, command, bodies) and the newest runs
    POST /api/v3/actions/{name}    queue the action now: 202 with the run; 404 for an unknown name

A run goes through the outbox like an alert's command (retried, survives a restart); its outcome
appears in the run's steps as delivery reports it (pipeline/actions/manual.py).
"""

from __future__ import annotations

from typing import Protocol

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from service.api.responses import API_VERSION, base_response
from service.pipeline.action_settings import ManualActionSettings
from service.pipeline.actions.manual import ManualRun, UnknownAction
from service.pipeline.state.alert_wire import ns

API_BASE = "/api/v3"


class ActionView(Protocol):
    """What the action routes need of the pipeline (PipelineView)."""

    def manual_actions(self) -> dict[str, ManualActionSettings]: ...
    def run_action(self, name: str, by: str = "") -> ManualRun: ...
    def action_history(self) -> list[ManualRun]: ...


def run_out(run: ManualRun) -> dict[str, object]:
    """A run as REST shows it (times in ns)."""
    return {
        "runId": run.run_id,
        "action": run.action,
        "device": run.device,
        "command": run.command,
        "startedAt": ns(run.started_s),
        "by": run.by,
        "steps": [
            {
                "step": s.step,
                "outcome": s.outcome,
                "attempts": s.attempts,
                "detail": s.detail,
                "at": ns(s.at_s),
            }
            for s in run.steps
        ],
    }


def action_router(view: ActionView, history_limit: int = 50) -> APIRouter:
    """The routes, reading from and running through `view`."""
    router = APIRouter()

    @router.get(f"{API_BASE}/actions")
    def actions() -> dict[str, object]:
        rows = [
            {
                "name": name,
                "label": action.Label or name,
                "device": action.Device,
                "command": action.Command,
                "body": action.Body,
                "thenAfterS": action.ThenAfterS,
                "thenBody": action.ThenBody,
            }
            for name, action in view.manual_actions().items()
        ]
        history = [run_out(run) for run in view.action_history()[:history_limit]]
        return {"apiVersion": API_VERSION, "statusCode": 200, "actions": rows, "history": history}

    @router.post(f"{API_BASE}/actions/{{name}}", response_model=None)
    def run(name: str) -> Response:
        try:
            started = view.run_action(name)
        except UnknownAction as exc:
            return base_response(404, str(exc.args[0]), None)
        body = {"apiVersion": API_VERSION, "statusCode": 202, "run": run_out(started)}
        return JSONResponse(body, status_code=202)

    return router
