"""app-vision -> EdgeX: analytics events (app-vision-analytics) pass core-data's decoding and
validation in EdgeX's own Go code, with their counts as Int64/Float64 values core-data stores as numbers.

The Go consumer (tests/interop/edgexpeer) runs core-data v4's path, as for result events
(test_result_events.py): types.GetMsgPayload[requests.AddEventRequest] (AddEventRequest.Validate,
which parses each simple value as its valueType) and the topic rule of edgex-go's ValidateEvent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.edgex.envelope import EnvelopeForm
from service.edgex.wire_format import WireFormat
from service.pipeline.actions.payloads import CountNumber, CountObject, CountPayload, write_payload
from service.pipeline.actions.plan import KIND_ANALYTICS
from tests.interop.conftest import BusFactory
from tests.interop.peer import Json, Peer, PeerProcess
from tests.interop.results import outbox_item, senders

pytestmark = pytest.mark.interop

FORMS = list(EnvelopeForm)
ORIGIN = 1_764_000_000_123_456_789


@pytest.fixture
def consumer(peer: Peer, request: pytest.FixtureRequest) -> Iterator[PeerProcess]:
    form: EnvelopeForm = request.param
    yield peer.start("consume-events", ["-count", "1", "-timeout", "15s"], form)


def zone_payload() -> CountPayload:
    numbers = [("Occupancy", 3), ("PeakOccupancy", 5), ("Entries", 41), ("Exits", 38), ("DwellCount", 12)]
    return CountPayload(
        device="till-cam.checkout",
        source="ZoneCounts",
        origin=ORIGIN,
        numbers=(
            *(CountNumber(resource=name, valueType="Int64", value=value) for name, value in numbers),
            CountNumber(resource="DwellP50", valueType="Float64", value=31.5),
            CountNumber(resource="DwellP95", valueType="Float64", value=88.125),
        ),
        objects=(
            CountObject(
                resource="ZoneExit",
                value={
                    "trackId": 7,
                    "label": "person",
                    "time": 1_764_000_000,
                    "dwellS": 12.5,
                    "reason": "left",
                },
            ),
        ),
    )


def publish(app_bus: BusFactory, form: EnvelopeForm, tmp_path: Path, payload: CountPayload) -> str:
    action, _ = senders(app_bus(form), WireFormat(form=form), tmp_path)
    item = dataclasses.replace(
        outbox_item({}, ""), key=f"analytics/{payload.device}/{payload.origin}", kind=KIND_ANALYTICS
    )
    return action.send_counts(dataclasses.replace(item, payload=write_payload(payload), alert_id=""))


def by_resource(event: Json) -> dict[str, Json]:
    return {reading["resourceName"]: reading for reading in event["readings"]}


@pytest.mark.parametrize("consumer", FORMS, indirect=True, ids=lambda f: f.value)
def test_zone_counts_pass_core_data_checks_as_numbers(
    consumer: PeerProcess, app_bus: BusFactory, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    form: EnvelopeForm = request.node.callspec.params["consumer"]
    event_id = publish(app_bus, form, tmp_path, zone_payload())
    verdict = consumer.next(15.0)
    assert verdict.get("ok") is True, verdict
    assert (
        verdict["topic"] == "edgex/events/device/app-vision/app-vision-analytics/till-cam.checkout/ZoneCounts"
    )
    event = verdict["event"]
    assert event["id"] == event_id
    assert (event["deviceName"], event["profileName"], event["sourceName"]) == (
        "till-cam.checkout",
        "app-vision-analytics",
        "ZoneCounts",
    )
    readings = by_resource(event)
    assert {name: (r["valueType"], r["value"]) for name, r in readings.items() if name != "ZoneExit"} == {
        "Occupancy": ("Int64", "3"),
        "PeakOccupancy": ("Int64", "5"),
        "Entries": ("Int64", "41"),
        "Exits": ("Int64", "38"),
        "DwellCount": ("Int64", "12"),
        "DwellP50": ("Float64", "3.150000e+01"),
        "DwellP95": ("Float64", "8.812500e+01"),
    }
    assert readings["ZoneExit"]["valueType"] == "Object"
    assert readings["ZoneExit"]["objectValue"]["reason"] == "left"
    for reading in event["readings"]:
        assert (reading["deviceName"], reading["profileName"]) == (
            "till-cam.checkout",
            "app-vision-analytics",
        )


@pytest.mark.parametrize("consumer", [EnvelopeForm.NESTED_JSON], indirect=True, ids=lambda f: f.value)
def test_line_counts_pass_core_data_checks(
    consumer: PeerProcess, app_bus: BusFactory, tmp_path: Path
) -> None:
    payload = CountPayload(
        device="door-cam.gate",
        source="LineCounts",
        origin=ORIGIN,
        numbers=tuple(
            CountNumber(resource=name, valueType="Int64", value=value)
            for name, value in (("In", 120), ("Out", 118), ("InRecent", 4), ("OutRecent", 0))
        ),
        objects=(
            CountObject(
                resource="Crossing", value={"trackId": 3, "label": "person", "direction": "in", "time": 1}
            ),
        ),
    )
    publish(app_bus, EnvelopeForm.NESTED_JSON, tmp_path, payload)
    verdict = consumer.next(15.0)
    assert verdict.get("ok") is True, verdict
    readings = by_resource(verdict["event"])
    assert (readings["In"]["value"], readings["OutRecent"]["value"]) == ("120", "0")
    assert readings["Crossing"]["objectValue"]["direction"] == "in"
