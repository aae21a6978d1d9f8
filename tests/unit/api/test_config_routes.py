"""Rules and a camera's zones, lines and masks edited live through the assembled pipeline and its
REST routes: validated like the file, applied without a restart (an active alert carries on, kept
zones keep their counts), versioned with a diff, rolled back, and in force again after a restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.api.config_routes import config_router
from service.api.edgex_routes import EdgeXApiDeps
from service.api.server import create_app
from service.config import Config, InsecureSecretStore, LoadedConfig
from service.metrics import Metrics
from tests.unit.pipeline.support import GREY, RED, jpeg, wait_for
from tests.unit.pipeline.test_assembly import Harness

PERSON = {
    "Name": "person",
    "Cameras": ["cam"],
    "Detection": {"Labels": ["person"]},
    "CooldownS": 0,
    "EndAfterS": 30,
}
SETTINGS: dict[str, Any] = {
    "Devices": {"cam": {"Role": "camera", "Zones": {"door": [[0, 0], [1, 0], [1, 1], [0, 1]]}}},
    "Rules": [
        {"Name": "pir", "Sensors": [{"Device": "pir", "Resource": "Motion", "Op": "eq", "Value": True}]}
    ],
    "Modes": {"Modes": {"home": ["pir"]}, "Default": "home"},
}


class _NullSink:
    def handle_event(self, req: object, received_topic: str, correlation_id: str = "") -> None:
        del req, received_topic, correlation_id

    def reject_event(self, received_topic: str, reason: str, correlation_id: str = "") -> None:
        del received_topic, reason, correlation_id


@pytest.fixture
def started(tmp_path: Path) -> Iterator[Harness]:
    harness = Harness(tmp_path, SETTINGS)
    harness.pipeline.start()
    yield harness
    harness.pipeline.stop()
    harness.bus.close()


@pytest.fixture
def api(started: Harness, loaded_config: LoadedConfig[Config]) -> TestClient:
    deps = EdgeXApiDeps("app-vision", "1", "1", loaded_config.redacted, InsecureSecretStore({}), _NullSink())
    return TestClient(create_app(deps, Metrics(), 0, [config_router(started.pipeline.config)]))


def alerts_of(harness: Harness, rule: str) -> list[str]:
    view = harness.pipeline.view
    return [a.alert_id for a in (*view.active_alerts(), *view.recent_alerts()) if a.rule == rule]


def test_a_rule_created_over_rest_alerts_on_the_next_frame_without_a_restart(
    started: Harness, api: TestClient
) -> None:
    started.publish_frame("cam", jpeg(RED))
    assert wait_for(lambda: started.metric("frame_to_result_seconds_count", camera="cam") >= 1, 3)
    assert alerts_of(started, "person") == []
    response = api.post("/api/v3/rules", json=PERSON)
    assert response.status_code == 201 and response.json()["rule"]["Name"] == "person"
    started.publish_frame("cam", jpeg(GREY))
    started.publish_frame("cam", jpeg(RED))
    assert wait_for(lambda: len(alerts_of(started, "person")) == 1, 3)
    assert [r["Name"] for r in api.get("/api/v3/rules").json()["rules"]] == ["pir", "person"]


def test_an_update_keeps_the_active_alert_and_a_delete_ends_it(started: Harness, api: TestClient) -> None:
    api.post("/api/v3/rules", json=PERSON)
    started.publish_frame("cam", jpeg(RED))
    assert wait_for(lambda: len(started.pipeline.view.active_alerts()) == 1, 3)
    (alert_id,) = alerts_of(started, "person")
    assert api.put("/api/v3/rules/person", json={**PERSON, "Severity": "CRITICAL"}).status_code == 200
    for count, colour in ((2, GREY), (3, RED)):  # one at a time: a frame waiting is replaced by the next
        started.publish_frame("cam", jpeg(colour))
        assert wait_for(lambda n=count: started.metric("frame_to_result_seconds_count", camera="cam") >= n, 3)
    assert alerts_of(started, "person") == [alert_id]  # the same alert, not a second one
    assert api.delete("/api/v3/rules/person").json()["statusCode"] == 200
    assert started.pipeline.view.active_alerts() == []
    ended = started.pipeline.view.alert(alert_id)
    assert ended is not None and ended.state == "ended"
    assert api.get("/api/v3/rules/person").status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (
            {**PERSON, "Detection": {"MinScore": 2}},
            400,
            "invalid request: Detection.MinScore: Input should be less than or equal to 1",
        ),
        ({**PERSON, "Detection": {"Zones": ["yard"]}}, 400, "rule person: camera cam has no zone yard"),
        ({**PERSON, "Model": "face"}, 400, "invalid request: Model: 'face' does not run on camera cam"),
        ({**PERSON, "Colour": "red"}, 400, "invalid request: Colour: Extra inputs are not permitted"),
        ({"Name": "pir", "Detection": {}}, 409, "rule pir exists; update it with PUT"),
        ([1, 2], 400, "invalid request: body: Input should be a valid dictionary"),
    ],
)
def test_a_bad_body_names_the_problem_and_nothing_changes(
    api: TestClient, started: Harness, body: Any, status: int, message: str
) -> None:
    response = api.post("/api/v3/rules", json=body)
    assert response.status_code == status, response.text
    assert response.json()["statusCode"] == status and message in response.json()["message"]
    assert [r.Name for r in started.pipeline.config.rules] == ["pir"]
    assert api.get("/api/v3/changes").json()["versions"] == []


def test_deleting_a_rule_a_mode_names_is_refused(api: TestClient) -> None:
    response = api.delete("/api/v3/rules/pir")
    assert response.status_code == 400 and "Modes name unknown rule(s): pir" in response.json()["message"]
    assert api.put("/api/v3/rules/nope", json=PERSON).status_code == 404
    renamed = api.put("/api/v3/rules/pir", json={**PERSON, "Name": "other"})
    assert renamed.status_code == 400 and "differs from the rule's name" in renamed.json()["message"]


def test_every_change_is_a_version_with_a_diff_and_a_rollback_restores_an_earlier_one(
    api: TestClient, started: Harness
) -> None:
    api.post("/api/v3/rules", json=PERSON)
    api.put("/api/v3/rules/person", json={**PERSON, "CooldownS": 90})
    versions = api.get("/api/v3/changes").json()["versions"]
    assert [(v["version"], v["change"], v["rules"]) for v in versions] == [
        (3, "update rule person", ["pir", "person"]),
        (2, "create rule person", ["pir", "person"]),
        (1, "the configuration file", ["pir"]),
    ]
    diff = versions[0]["diff"]
    assert '-      "CooldownS": 0.0,' in diff and '+      "CooldownS": 90.0,' in diff
    restored = api.post("/api/v3/changes/1/rollback").json()["version"]
    assert (restored["version"], restored["change"], restored["rules"]) == (
        4,
        "rollback to version 1",
        ["pir"],
    )
    assert [r.Name for r in started.pipeline.config.rules] == ["pir"]
    assert api.post("/api/v3/changes/9/rollback").status_code == 404
    assert "properties" in api.get("/api/v3/rules/schema").json()


def test_edited_rules_are_in_force_after_a_restart(tmp_path: Path) -> None:
    first = Harness(tmp_path, SETTINGS)
    first.pipeline.start()
    first.pipeline.config.create(PERSON)
    first.pipeline.stop()
    first.bus.close()
    again = Harness(tmp_path, SETTINGS)
    again.pipeline.start()
    try:
        assert [r.Name for r in again.pipeline.config.rules] == ["pir", "person"]
        again.publish_frame("cam", jpeg(RED))
        assert wait_for(lambda: len(alerts_of(again, "person")) == 1, 3)
    finally:
        again.pipeline.stop()
        again.bus.close()


PERSON_IN_DOOR = {**PERSON, "Name": "person-in-door", "Detection": {"Labels": ["person"], "Zones": ["door"]}}
LEFT = [[0, 0], [0.1, 0], [0.1, 1], [0, 1]]  # the canned person box is at x 0.2..0.6: not in here
GATE = {"Points": [[0, 0.5], [1, 0.5]], "InDirection": "down"}


def test_a_zone_moved_over_rest_changes_what_a_zone_rule_sees_at_once(
    started: Harness, api: TestClient
) -> None:
    assert api.post("/api/v3/rules", json=PERSON_IN_DOOR).status_code == 201
    moved = api.put("/api/v3/cameras/cam/geometry", json={"Zones": {"door": LEFT}, "Lines": {"gate": GATE}})
    assert moved.status_code == 200, moved.text
    assert moved.json()["Zones"] == {"door": LEFT} and moved.json()["MotionMasks"] == []
    started.publish_frame("cam", jpeg(RED))
    assert wait_for(lambda: started.metric("frame_to_result_seconds_count", camera="cam") >= 1, 3)
    assert not wait_for(lambda: alerts_of(started, "person-in-door"), 0.3)  # outside the moved zone
    counts = started.pipeline.view.counts()["cam"]
    assert [line.line for line in counts.lines] == ["gate"] and [z.zone for z in counts.zones] == ["door"]
    assert (
        api.put(
            "/api/v3/cameras/cam/geometry", json={"Zones": {"door": [[0, 0], [1, 0], [1, 1], [0, 1]]}}
        ).status_code
        == 200
    )
    started.publish_frame("cam", jpeg(GREY))
    started.publish_frame("cam", jpeg(RED))
    assert wait_for(lambda: len(alerts_of(started, "person-in-door")) == 1, 3)
    assert api.get("/api/v3/cameras/cam/geometry").json()["Lines"] == {}
    assert [v["change"] for v in api.get("/api/v3/changes").json()["versions"]][:2] == [
        "set zones, lines and masks of cam",
        "set zones, lines and masks of cam",
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"Zones": {"door": [[0, 0], [1, 1]]}}, "at least 3 points"),
        ({"Zones": {"door": [[0, 0], [2, 0], [0, 1]]}}, "outside the frame"),
        (
            {"Lines": {"g": {"Points": [[0, 0.5], [1, 0.5]], "InDirection": "right"}}},
            "runs along InDirection",
        ),
        ({"Zones": {"door": LEFT}, "Lines": {"door": GATE}}, "a zone and a line may not share a name"),
        ({"Zones": {}, "Colour": 1}, "Colour: Extra inputs are not permitted"),
        ({"Zones": {}}, "camera cam has no zone door"),  # a rule uses it
    ],
)
def test_bad_geometry_names_the_problem_and_nothing_changes(
    api: TestClient, started: Harness, body: dict[str, Any], message: str
) -> None:
    api.post("/api/v3/rules", json=PERSON_IN_DOOR)
    before = api.get("/api/v3/cameras/cam/geometry").json()
    response = api.put("/api/v3/cameras/cam/geometry", json=body)
    assert response.status_code == 400 and message in response.json()["message"], response.text
    assert api.get("/api/v3/cameras/cam/geometry").json() == before
    assert api.get("/api/v3/cameras/pir/geometry").status_code == 404
    assert "properties" in api.get("/api/v3/cameras/geometry/schema").json()


def test_a_dry_run_says_whether_a_rule_would_have_fired_on_the_recent_frames_and_stores_nothing(
    api: TestClient, started: Harness
) -> None:
    started.publish_frame("cam", jpeg(RED))
    assert wait_for(lambda: started.metric("frame_to_result_seconds_count", camera="cam") >= 1, 3)
    fired = api.post("/api/v3/rules/dry-run", json={"rule": PERSON, "minutes": 5}).json()
    assert fired["wouldFire"] is True and fired["frames"] >= 1
    assert [(a["camera"], a["severity"]) for a in fired["alerts"]] == [("cam", "NORMAL")]
    car = {**PERSON, "Detection": {"Labels": ["car"]}}
    assert api.post("/api/v3/rules/dry-run", json={"rule": car}).json()["wouldFire"] is False
    for body, message in (
        ({"rule": {**PERSON, "CooldownS": -1}}, "CooldownS: Input should be greater than or equal to 0"),
        ({"rule": PERSON, "minutes": 0}, "minutes: must be > 0 and <= 60"),
        ({"rule": PERSON, "minutes": "ten"}, "minutes: Input should be a number"),
        ({"minutes": 5}, '{"rule": {...}, "minutes": N} expected'),
    ):
        response = api.post("/api/v3/rules/dry-run", json=body)
        assert response.status_code == 400 and message in response.json()["message"], response.text
    assert [r.Name for r in started.pipeline.config.rules] == ["pir"]
    assert api.get("/api/v3/changes").json()["versions"] == []
    assert alerts_of(started, "person") == []
