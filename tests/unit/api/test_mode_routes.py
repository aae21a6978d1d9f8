"""Mode routes: GET and PUT /api/v3/mode, with BaseResponse errors that name the field."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.api.edgex_routes import EdgeXApiDeps
from service.api.mode_routes import mode_router
from service.api.server import create_app
from service.config import Config, InsecureSecretStore, LoadedConfig
from service.metrics import Metrics
from service.pipeline.mode_settings import ModeSettings
from service.pipeline.rules.modes import ModeKeeper, ModeState

SETTINGS = {"Modes": {"home": ["door"], "away": ["door", "person"]}, "Default": "home"}


class View:
    def __init__(self, settings: dict[str, Any]) -> None:
        self.keeper = ModeKeeper(ModeSettings.model_validate(settings), None, 100.0)

    def mode(self) -> ModeState | None:
        return self.keeper.current() if self.keeper.configured else None

    def modes(self) -> dict[str, list[str]]:
        return self.keeper.modes

    def switch_mode(self, mode: str) -> ModeState:
        return self.keeper.switch(mode, "manual", 200.0)


class _NullSink:
    def handle_event(self, req: object, received_topic: str, correlation_id: str = "") -> None:
        del req, received_topic, correlation_id

    def reject_event(self, received_topic: str, reason: str, correlation_id: str = "") -> None:
        del received_topic, reason, correlation_id


def client_for(view: View, loaded_config: LoadedConfig[Config]) -> TestClient:
    deps = EdgeXApiDeps("app-vision", "1", "1", loaded_config.redacted, InsecureSecretStore({}), _NullSink())
    return TestClient(create_app(deps, Metrics(), 0, [mode_router(view)]))


@pytest.fixture
def view() -> View:
    return View(SETTINGS)


@pytest.fixture
def client(view: View, loaded_config: LoadedConfig[Config]) -> TestClient:
    return client_for(view, loaded_config)


def test_get_shows_the_mode_and_the_rules_of_every_mode(client: TestClient) -> None:
    assert client.get("/api/v3/mode").json() == {
        "apiVersion": "v3",
        "statusCode": 200,
        "mode": "home",
        "previous": "",
        "source": "start",
        "since": 100_000_000_000,
        "modes": {"home": ["door"], "away": ["door", "person"]},
    }


def test_put_switches_and_the_next_get_shows_it(client: TestClient, view: View) -> None:
    body = client.put("/api/v3/mode", json={"mode": "away"}).json()
    assert (body["mode"], body["previous"], body["source"], body["since"]) == (
        "away",
        "home",
        "manual",
        200_000_000_000,
    )
    assert client.get("/api/v3/mode").json()["mode"] == "away"
    assert view.keeper.enabled("person")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"mode": "holiday"}, "invalid request: mode: unknown mode 'holiday'; modes: home, away"),
        ({}, "invalid request: mode: Field required"),
        ({"mode": ""}, "invalid request: mode: String should have at least 1 character"),
        ({"mode": "away", "extra": 1}, "invalid request: extra: Extra inputs are not permitted"),
    ],
)
def test_a_bad_body_is_a_400_naming_the_field_and_nothing_changes(
    client: TestClient, view: View, body: dict[str, Any], message: str
) -> None:
    response = client.put("/api/v3/mode", json=body)
    assert response.status_code == 400
    assert response.json()["statusCode"] == 400 and response.json()["message"] == message
    assert view.keeper.current().mode == "home"


def test_without_modes_both_routes_answer_404(loaded_config: LoadedConfig[Config]) -> None:
    client = client_for(View({}), loaded_config)
    for response in (client.get("/api/v3/mode"), client.put("/api/v3/mode", json={"mode": "home"})):
        assert response.status_code == 404
        assert "AppCustom.Pipeline.Modes" in response.json()["message"]
