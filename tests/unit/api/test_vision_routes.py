"""service/api/vision_routes.py over a fake view: shapes, 404s as BaseResponse, the UI files."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.api.vision_routes import vision_router
from service.pipeline.actions.outbox import OutboxItem, State
from service.pipeline.actions.result_event import alert_object, detection_object
from service.pipeline.analysis.sighting import Sighting
from service.pipeline.analytics import CameraCounts, LineCounts, TrackDwell, ZoneCounts
from service.pipeline.cameras.status import CameraStatus
from service.pipeline.state.alert_wire import WireAlert, WireDetection
from service.pipeline.state.records import ActionOutcome, Alert, AlertChange, SensorState

SIGHTING = Sighting("person", "person", 0.9, (1.0, 2.0, 3.0, 4.0), ("door",), 7, False, (0.9,))
ACTIVE = Alert(
    "a-1",
    "rule",
    "cam 1",
    "CRITICAL",
    "person",
    "1 person",
    "active",
    1.0,
    2.0,
    2.0,
    sightings=(SIGHTING,),
    latency_s=0.0123,
    snapshot="a-1.jpg",
    actions=(ActionOutcome("a-1/0/command", "command", "delivered", 1, 5.5, "200", 2.0),),
)
ENDED = Alert("a-0", "rule", "cam 1", "NORMAL", "person", "old", "ended", 0.5, 0.9, 0.6, ended_s=0.9)


@dataclass
class View:
    snapshots: dict[str, bytes] = field(default_factory=lambda: {"cam 1": b"\xff\xd8cam"})

    def active_alerts(self) -> list[Alert]:
        return [ACTIVE]

    def recent_alerts(self) -> list[Alert]:
        return [ENDED]

    def alert(self, alert_id: str) -> Alert | None:
        return {"a-1": ACTIVE, "a-0": ENDED}.get(alert_id)

    def cameras(self) -> list[CameraStatus]:
        return [
            CameraStatus(
                "cam 1",
                "camera",
                ("person",),
                10,
                4,
                2.0,
                1.0,
                {"replaced": 6},
                3.0,
                2.5,
                12.3,
                (SIGHTING,),
                ("door",),
                True,
            )
        ]

    def latest_snapshot(self, camera: str) -> bytes | None:
        return self.snapshots.get(camera)

    def alert_snapshot(self, alert_id: str) -> bytes | None:
        return b"\xff\xd8alert" if alert_id == "a-1" else None

    def alert_clip(self, alert_id: str) -> Path | None:
        return None

    def outbox_counts(self) -> dict[State, int]:
        return {"pending": 1, "delivered": 0, "dead": 0}

    def outbox_items(self, state: State, limit: int) -> list[OutboxItem]:
        if state != "pending":
            return []
        return [
            OutboxItem(
                3, "a-1/0/command", "command", "a-1", "{}", "pending", 2, 10.0, 1.0, "refused", None, 1.0, ""
            )
        ]

    def sensor_states(self) -> list[SensorState]:
        return [SensorState("pir", "Motion", "Bool", True, 5, 1.0, 1.0, 1.0, None)]

    def counts(self) -> dict[str, CameraCounts]:
        return {
            "cam-1": CameraCounts(
                (LineCounts("gate", 7, 2, 1, 0),),
                (
                    ZoneCounts("checkout", 3, 5, 40, 37, 12, 31.5, 88.25, 4, 2),
                    ZoneCounts("idle", 0, 0, 0, 0, 0, None, None),
                ),
                (TrackDwell("checkout", 9, "person", 100.0, 12.5),),
            )
        }


@pytest.fixture
def client() -> TestClient:
    app = FastAPI()
    app.include_router(vision_router(View()))
    return TestClient(app)


def test_alerts(client: TestClient) -> None:
    body = client.get("/api/v3/alerts").json()
    assert body["statusCode"] == 200 and [a["alertId"] for a in body["active"]] == ["a-1"]
    alert = body["active"][0]
    assert alert["startedAt"] == 1_000_000_000 and alert["latencyMs"] == 12.3
    assert alert["snapshotUrl"] == "/api/v3/alerts/a-1/snapshot.jpg"
    assert alert["detections"][0] == {
        "label": "person",
        "score": 0.9,
        "box": [1.0, 2.0, 3.0, 4.0],
        "zones": ["door"],
        "model": "person",
        "trackId": 7,
        "stationary": False,
    }
    assert alert["actions"][0]["outcome"] == "delivered" and alert["actions"][0]["latencyMs"] == 5.5
    assert [a["alertId"] for a in body["recent"]] == ["a-0"]
    assert client.get("/api/v3/alerts?state=active").json()["recent"] == []
    assert client.get("/api/v3/alerts/a-0").json()["alert"]["endedAt"] == 900_000_000


@pytest.mark.parametrize(
    "path",
    [
        "/api/v3/alerts/nope",
        "/api/v3/alerts/a-0/snapshot.jpg",
        "/api/v3/cameras/other/snapshot.jpg",
        "/ui/secret.txt",
    ],
)
def test_missing_things_are_base_response_404(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.json()["statusCode"] == 404 and response.json()["apiVersion"] == "v3"


def test_snapshots_are_jpeg(client: TestClient) -> None:
    response = client.get("/api/v3/cameras/cam%201/snapshot.jpg")
    assert response.headers["content-type"] == "image/jpeg" and response.content == b"\xff\xd8cam"
    assert client.get("/api/v3/alerts/a-1/snapshot.jpg").content == b"\xff\xd8alert"


def test_cameras_outbox_sensors(client: TestClient) -> None:
    camera = client.get("/api/v3/cameras").json()["cameras"][0]
    assert camera["snapshotUrl"] == "/api/v3/cameras/cam%201/snapshot.jpg"
    assert camera["drops"] == {"replaced": 6} and camera["lastFrameAt"] == 3_000_000_000
    outbox = client.get("/api/v3/outbox").json()
    assert outbox["counts"]["pending"] == 1 and outbox["pending"][0]["lastError"] == "refused"
    assert client.get("/api/v3/sensors").json()["sensors"][0]["value"] is True


def test_ui_is_served_without_a_build_step(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "/ui/app.js" in page.text and 'id="alerts"' in page.text
    assert 'fetch("/api/v3/cameras")' in client.get("/ui/app.js").text
    assert client.get("/ui/style.css").headers["content-type"].startswith("text/css")


def test_rest_and_the_result_event_agree_on_the_shared_wire_fields(client: TestClient) -> None:
    """Both build on service.pipeline.state.alert_wire: one name, rounding and time unit per field."""
    rest = client.get("/api/v3/alerts/a-1").json()["alert"]
    change = AlertChange("update", ACTIVE, None, 1)
    event_alert = alert_object(change).model_dump(mode="json")
    event_detection = detection_object(SIGHTING, change).model_dump(mode="json")
    shared_alert = set(WireAlert.model_fields)
    assert {k: rest[k] for k in shared_alert} == {k: event_alert[k] for k in shared_alert}
    assert set(rest) - shared_alert == {"state", "snapshotUrl", "detections", "actions", "clipReady"}
    assert rest["detections"][0] == {k: event_detection[k] for k in WireDetection.model_fields}


def test_analytics_lists_every_counting_camera_with_its_lines_zones_and_open_visits(
    client: TestClient,
) -> None:
    body = client.get("/api/v3/analytics").json()
    assert body["statusCode"] == 200
    (camera,) = body["cameras"]
    assert camera["camera"] == "cam-1"
    assert camera["lines"] == [
        {"line": "gate", "device": "cam-1.gate", "in": 7, "out": 2, "inRecent": 1, "outRecent": 0}
    ]
    checkout, idle = camera["zones"]
    assert checkout["device"] == "cam-1.checkout"
    assert (checkout["occupancy"], checkout["peakOccupancy"], checkout["entries"], checkout["exits"]) == (
        3,
        5,
        40,
        37,
    )
    assert (checkout["entriesRecent"], checkout["exitsRecent"], checkout["dwellCount"]) == (4, 2, 12)
    assert (checkout["dwellP50S"], checkout["dwellP95S"]) == (31.5, 88.25)
    assert idle["dwellP50S"] is None and idle["dwellCount"] == 0
    assert camera["dwelling"] == [
        {"zone": "checkout", "trackId": 9, "label": "person", "enteredAt": 100_000_000_000, "dwellS": 12.5}
    ]


def test_analytics_of_one_camera_and_a_404_base_response_for_a_camera_that_counts_nothing(
    client: TestClient,
) -> None:
    one = client.get("/api/v3/analytics/cam-1").json()
    assert one["camera"] == "cam-1" and one["lines"][0]["in"] == 7
    missing = client.get("/api/v3/analytics/cam-9")
    assert missing.status_code == 404
    assert missing.json()["statusCode"] == 404 and "cam-9" in missing.json()["message"]
