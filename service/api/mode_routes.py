"""Mode routes: which mode is in force, and switching it.

    GET /api/v3/mode           the mode, the one before, what switched it, when; every mode's rules
    PUT /api/v3/mode           {"mode": "away"}: switch now (404 without modes, 400 for an unknown one)

A switch takes effect for the next frame and reading; it is published as an app-vision-mode event
and kept in the state file (pipeline/rules/modes.py).
"""

from __future__ import annotations

from typing import Protocol

from fastapi import APIRouter, Response
from pydantic import Field

from service.api.responses import API_VERSION, base_response
from service.pipeline.rules.modes import ModeState, UnknownMode
from service.pipeline.state.alert_wire import ns
from service.strict import StrictModel

API_BASE = "/api/v3"


class ModeView(Protocol):
    """What the mode routes need of the pipeline (PipelineView)."""

    def mode(self) -> ModeState | None: ...
    def modes(self) -> dict[str, list[str]]: ...
    def switch_mode(self, mode: str) -> ModeState: ...


class ModeRequest(StrictModel):
    """PUT /api/v3/mode body."""

    mode: str = Field(min_length=1, description="The mode to switch to (a key of Pipeline.Modes.Modes).")


def mode_out(state: ModeState, modes: dict[str, list[str]]) -> dict[str, object]:
    """The mode as REST shows it (times in ns)."""
    return {
        "apiVersion": API_VERSION,
        "statusCode": 200,
        "mode": state.mode,
        "previous": state.previous,
        "source": state.source,
        "since": ns(state.since_s),
        "modes": modes,
    }


def mode_router(view: ModeView) -> APIRouter:
    """The routes, reading from and switching through `view`."""
    router = APIRouter()
    missing = "no modes are configured (AppCustom.Pipeline.Modes)"

    @router.get(f"{API_BASE}/mode", response_model=None)
    def current() -> dict[str, object] | Response:
        state = view.mode()
        if state is None:
            return base_response(404, missing, None)
        return mode_out(state, view.modes())

    @router.put(f"{API_BASE}/mode", response_model=None)
    def switch(body: ModeRequest) -> dict[str, object] | Response:
        if view.mode() is None:
            return base_response(404, missing, None)
        try:
            state = view.switch_mode(body.mode)
        except UnknownMode as exc:
            return base_response(400, f"invalid request: mode: {exc}", None)
        return mode_out(state, view.modes())

    return router
