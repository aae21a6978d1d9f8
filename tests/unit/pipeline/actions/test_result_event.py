"""Result events: the profile in device-profiles/ declares every reading the pipeline emits."""

from __future__ import annotations

from pathlib import Path

import yaml

from service.pipeline.actions.result_event import build_result_request, result_payload
from service.pipeline.analysis.sighting import Sighting
from service.pipeline.identity import RESULT_DEVICE, RESULT_PROFILE
from service.pipeline.state.records import Alert, AlertChange

PROFILE = Path(__file__).resolve().parents[4] / "device-profiles" / "app-vision-result.yaml"
SIGHTING = Sighting("person", "person", 0.8, (1.0, 2.0, 3.0, 4.0), (), 1, False, (0.8,))


def change(transition: str) -> AlertChange:
    alert = Alert("a", "r", "cam", "MINOR", "person", "s", "active", 1.0, 1.0, 1.0, sightings=(SIGHTING,))
    return AlertChange(transition, alert, None, 0)  # type: ignore[arg-type]


def test_profile_declares_every_emitted_reading() -> None:
    profile = yaml.safe_load(PROFILE.read_text())
    assert profile["name"] == RESULT_PROFILE
    resources = {r["name"]: r["properties"]["valueType"] for r in profile["deviceResources"]}
    req = build_result_request(result_payload(change("new"), "Alert", ""), b"\xff\xd8jpeg")
    emitted = {r.resource_name: r.value_type for r in req.event.readings}
    assert emitted == {k: resources[k] for k in emitted}
    assert set(emitted) == {"AlertState", "Alert", "Detection", "Snapshot"}
    assert req.event.source_name in {c["name"] for c in profile["deviceCommands"]}
    assert (req.event.device_name, req.event.profile_name) == (RESULT_DEVICE, RESULT_PROFILE)


def test_every_build_gets_fresh_ids_and_an_end_carries_no_detections() -> None:
    payload = result_payload(change("end"), "Alert", "")
    first, second = build_result_request(payload, None), build_result_request(payload, None)
    assert first.event.id != second.event.id and first.request_id != second.request_id
    assert [r.resource_name for r in first.event.readings] == ["AlertState", "Alert"]
    assert all(
        r.profile_name == RESULT_PROFILE and r.device_name == RESULT_DEVICE for r in first.event.readings
    )
