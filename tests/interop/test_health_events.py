"""app-vision -> EdgeX: camera health events (app-vision-camera-health) pass core-data's decoding and
validation in EdgeX's own Go code (as test_analytics_events.py does for counts): the String, Bool and
Int64 readings parse as their valueType, and the topic names the event's profile, device and source."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.edgex.envelope import EnvelopeForm
from service.edgex.wire_format import WireFormat
from service.pipeline.actions.payloads import HealthPayload, write_payload
from service.pipeline.actions.plan import KIND_HEALTH
from tests.interop.conftest import BusFactory
from tests.interop.peer import Peer, PeerProcess
from tests.interop.results import outbox_item, senders

pytestmark = pytest.mark.interop

ORIGIN = 1_764_000_000_123_456_789


@pytest.fixture
def consumer(peer: Peer, request: pytest.FixtureRequest) -> Iterator[PeerProcess]:
    form: EnvelopeForm = request.param
    yield peer.start("consume-events", ["-count", "1", "-timeout", "15s"], form)


@pytest.mark.parametrize("consumer", list(EnvelopeForm), indirect=True, ids=lambda f: f.value)
@pytest.mark.parametrize("last_error", ["", "cannot open rtsp://***@10.0.0.5/live: Connection refused"])
def test_an_offline_camera_passes_core_data_checks(
    consumer: PeerProcess,
    app_bus: BusFactory,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    last_error: str,
) -> None:
    form: EnvelopeForm = request.node.callspec.params["consumer"]
    payload = HealthPayload(
        camera="camera-door",
        origin=ORIGIN,
        state="offline",
        reason="reconnecting failed for 15 s",
        framesIn=1200,
        framesDecoded=1190,
        framesAnalysed=300,
        reconnects=4,
        lastError=last_error,
    )
    action, _ = senders(app_bus(form), WireFormat(form=form), tmp_path)
    item = dataclasses.replace(outbox_item({}, ""), key="health/camera-door/1/offline", kind=KIND_HEALTH)
    event_id = action.send_health(dataclasses.replace(item, payload=write_payload(payload), alert_id=""))
    verdict = consumer.next(15.0)
    assert verdict.get("ok") is True, verdict
    assert (
        verdict["topic"] == "edgex/events/device/app-vision/app-vision-camera-health/camera-door/StreamHealth"
    )
    event = verdict["event"]
    assert event["id"] == event_id and abs(event["origin"] - ORIGIN) < 1000  # JSON numbers: float64
    values = {r["resourceName"]: (r["valueType"], r["value"]) for r in event["readings"]}
    expected = {
        "StreamState": ("String", "offline"),
        "Online": ("Bool", "false"),
        "Reason": ("String", "reconnecting failed for 15 s"),
        "FramesIn": ("Int64", "1200"),
        "FramesDecoded": ("Int64", "1190"),
        "FramesAnalysed": ("Int64", "300"),
        "Reconnects": ("Int64", "4"),
    }
    if last_error:
        expected["LastError"] = ("String", last_error)
    assert values == expected
