"""Manual action routes: GET /api/v3/actions and POST /api/v3/actions/{name} (202, or a 404 BaseResponse)."""

from __future__ import annotations

from dataclasses import replace

from fastapi.testclient import TestClient

from service.api.action_routes import action_router
from service.api.edgex_routes import EdgeXApiDeps
from service.api.server import create_app
from service.config import Config, InsecureSecretStore, LoadedConfig
from service.metrics import Metrics
from service.pipeline.action_settings import ManualActionSettings
from service.pipeline.actions.manual import ManualRun, StepOutcome, UnknownAction

SIREN = ManualActionSettings(
    Device="siren",
    Command="Alarm",
    Body={"On": "true"},
    ThenAfterS=10,
    ThenBody={"On": "false"},
    Label="Siren",
)


class View:
    def __init__(self) -> None:
        self.runs: list[ManualRun] = []

    def manual_actions(self) -> dict[str, ManualActionSettings]:
        return {"siren": SIREN}

    def run_action(self, name: str, by: str = "") -> ManualRun:
        if name != "siren":
            raise UnknownAction(f"unknown action {name!r}; actions: siren")
        run = ManualRun("r-1", name, "siren", "Alarm", 100.0, by, (StepOutcome(0, "queued", 0, "", 100.0),))
        self.runs.insert(0, run)
        return run

    def action_history(self) -> list[ManualRun]:
        return self.runs


class _NullSink:
    def handle_event(self, req: object, received_topic: str, correlation_id: str = "") -> None:
        del req, received_topic, correlation_id

    def reject_event(self, received_topic: str, reason: str, correlation_id: str = "") -> None:
        del received_topic, reason, correlation_id


def client(view: View, loaded_config: LoadedConfig[Config]) -> TestClient:
    deps = EdgeXApiDeps("app-vision", "1", "1", loaded_config.redacted, InsecureSecretStore({}), _NullSink())
    return TestClient(create_app(deps, Metrics(), 0, [action_router(view)]))


def test_get_lists_the_actions_and_post_runs_one(loaded_config: LoadedConfig[Config]) -> None:
    view = View()
    api = client(view, loaded_config)
    listed = api.get("/api/v3/actions").json()
    assert listed["actions"] == [
        {
            "name": "siren",
            "label": "Siren",
            "device": "siren",
            "command": "Alarm",
            "body": {"On": "true"},
            "thenAfterS": 10.0,
            "thenBody": {"On": "false"},
        }
    ]
    assert listed["history"] == []
    response = api.post("/api/v3/actions/siren")
    assert response.status_code == 202
    assert response.json()["run"] == {
        "runId": "r-1",
        "action": "siren",
        "device": "siren",
        "command": "Alarm",
        "startedAt": 100_000_000_000,
        "by": "",
        "steps": [{"step": 0, "outcome": "queued", "attempts": 0, "detail": "", "at": 100_000_000_000}],
    }
    view.runs[0] = replace(view.runs[0], steps=(StepOutcome(0, "delivered", 1, "200", 101.0),))
    assert api.get("/api/v3/actions").json()["history"][0]["steps"][0]["outcome"] == "delivered"


def test_an_unknown_action_is_a_404_base_response(loaded_config: LoadedConfig[Config]) -> None:
    response = client(View(), loaded_config).post("/api/v3/actions/alarm")
    assert response.status_code == 404
    assert response.json() == {
        "apiVersion": "v3",
        "statusCode": 404,
        "message": "unknown action 'alarm'; actions: siren",
    }
