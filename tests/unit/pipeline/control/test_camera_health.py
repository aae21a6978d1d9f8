"""A stream camera's health change: StreamState/Online readings for the rules, a health event queued."""

from __future__ import annotations

import json
from pathlib import Path

from service.pipeline.actions.outbox import Outbox
from service.pipeline.actions.payloads import HealthPayload, read_payload
from service.pipeline.control.camera_health import HealthOutput, HealthOutputDeps
from service.pipeline.ingest.sensor_reading import SensorReading
from service.pipeline.settings import OutboxSettings
from service.streams.health import CameraHealth, HealthState


def test_a_change_feeds_the_rules_and_queues_one_health_event(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite", OutboxSettings(), lambda: 100.0)
    readings: list[SensorReading] = []
    woken: list[str] = []
    health = CameraHealth("cam", wall_clock=lambda: 100.0)
    health.count_packet()
    health.count_decoded(1, 0.01)
    health.count_reconnect()
    health.record_error("cannot open rtsp://admin:pw@cam/live: refused")
    output = HealthOutput(
        HealthOutputDeps(
            outbox, readings.append, woken.append, lambda _c: health.snapshot(), lambda _c: 7, lambda: 100.5
        )
    )
    output.changed("cam", HealthState.STALLED, HealthState.OFFLINE, "reconnecting failed for 15 s")
    assert [(r.device, r.resource, r.value_type, r.value) for r in readings] == [
        ("cam", "StreamState", "String", "offline"),
        ("cam", "Online", "Bool", False),
    ]
    assert readings[0].received_s == 100.5 and readings[0].origin_ns == 100_500_000_000
    (row,) = outbox.items("pending", 10)
    assert row.kind == "health" and row.alert_id == "" and woken == ["health"]
    payload = read_payload(HealthPayload, row.payload)
    assert (payload.state, payload.framesIn, payload.framesDecoded, payload.framesAnalysed) == (
        "offline",
        1,
        1,
        7,
    )
    assert payload.reconnects == 1 and "pw@" not in payload.lastError and "refused" in payload.lastError
    assert json.loads(row.payload)["reason"] == "reconnecting failed for 15 s"
    output.changed("cam", HealthState.OFFLINE, HealthState.ONLINE, "frames arriving")
    assert readings[-1].value is True and len(outbox.items("pending", 10)) == 2
    outbox.close()
