"""CountOutput: counts go out as analytics events (on change, merged within the gap, periodically),
come back as sensor readings, wait while the outbox is backed up, and survive a restart."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from service.edgex.event_validation import validate_add_event_request
from service.metrics import Metrics
from service.pipeline.actions.count_event import build_count_request
from service.pipeline.actions.outbox import Outbox
from service.pipeline.actions.payloads import CountPayload
from service.pipeline.actions.plan import KIND_ANALYTICS
from service.pipeline.analysis.analyser import FrameAnalyser
from service.pipeline.analysis.sighting import FrameView, Sighting
from service.pipeline.cameras.camera_state import CameraState, CameraTable
from service.pipeline.control.count_output import CountOutput, CountOutputDeps
from service.pipeline.ingest.sensor_reading import SensorReading
from service.pipeline.settings import PipelineSettings
from service.pipeline.state.state_store import StateStore
from tests.unit.pipeline.support import FakeEngine

WIDTH, HEIGHT = 640, 480


def settings_with(max_pending: int = 10000, **counting: Any) -> PipelineSettings:
    return PipelineSettings.model_validate(
        {
            "Devices": {
                "cam": {
                    "Role": "camera",
                    "Zones": {"till": [[0, 0.6], [1, 0.6], [1, 1], [0, 1]]},
                    "Lines": {"gate": {"Points": [[0, 0.5], [1, 0.5]], "InDirection": "down"}},
                },
                "other": {"Role": "camera"},
            },
            "Counting": {"MinPublishGapS": 1, "PublishIntervalS": 60, **counting},
            "Outbox": {"MaxPending": max_pending},  # analytics may hold a quarter of them
        }
    )


@dataclass
class Harness:
    output: CountOutput
    cameras: CameraTable
    outbox: Outbox
    state: StateStore
    readings: list[SensorReading] = field(default_factory=list)
    woken: list[str] = field(default_factory=list)

    @property
    def camera(self) -> CameraState:
        camera = self.cameras.get("cam")
        assert camera is not None
        return camera

    def frame(self, t: float, *feet_y: float) -> None:
        """One analysed frame of cam: a person per feet_y (track 1, 2, ...) at the frame's middle."""
        sightings = []
        for index, y in enumerate(feet_y, start=1):
            box = (300.0, y * HEIGHT - 200, 340.0, y * HEIGHT)
            zones = ("till",) if y >= 0.6 else ()
            sightings.append(Sighting("person", "person", 0.9, box, zones, index, False, (0.9,)))
        view = FrameView("cam", WIDTH, HEIGHT, tuple(sightings), int(t * 1e9), t, 0.05)
        counter = self.camera.counter
        assert counter is not None
        self.output.counted(self.camera, counter.update(view), t)

    def events(self) -> list[CountPayload]:
        items = self.outbox.items("pending", 1000)
        return [CountPayload.model_validate_json(item.payload) for item in reversed(items)]

    def reading(self, device: str, resource: str) -> Any:
        values = [r.value for r in self.readings if (r.device, r.resource) == (device, resource)]
        return values[-1] if values else None


def numbers(payload: CountPayload) -> dict[str, int | float]:
    return {n.resource: n.value for n in payload.numbers}


class Harnesses:
    def __init__(self, tmp_path: Path) -> None:
        self._tmp_path = tmp_path
        self.built: list[Harness] = []

    def __call__(self, settings: PipelineSettings | None = None, run: str = "a") -> Harness:
        settings = settings or settings_with()
        directory = self._tmp_path / run
        state = StateStore(directory / "state.sqlite", 10)
        metrics = Metrics()
        analyser = FrameAnalyser(settings, FakeEngine())
        cameras = CameraTable(settings, analyser.new_state, metrics, stored_counters=state.load_counters())
        outbox = Outbox(directory / "outbox.sqlite", settings.Outbox, lambda: 0.0)
        readings: list[SensorReading] = []
        woken: list[str] = []
        output = CountOutput(
            CountOutputDeps(settings, cameras, outbox, state, metrics, readings.append, woken.append)
        )
        harness = Harness(output, cameras, outbox, state, readings, woken)
        self.built.append(harness)
        return harness

    def close(self) -> None:
        for harness in self.built:
            harness.outbox.close()
            harness.state.close()


@pytest.fixture
def harnesses(tmp_path: Path) -> Iterator[Harnesses]:
    made = Harnesses(tmp_path)
    yield made
    made.close()


def test_start_publishes_every_zone_and_line_of_the_counting_cameras_and_feeds_the_rules(
    harnesses: Harnesses,
) -> None:
    h = harnesses()
    h.output.start(100.0)
    assert h.output.counting_cameras == ("cam",)  # "other" has no lines or zones
    events = h.events()
    assert [(e.device, e.source) for e in events] == [("cam.till", "ZoneCounts"), ("cam.gate", "LineCounts")]
    assert numbers(events[0]) == {
        "Occupancy": 0,
        "PeakOccupancy": 0,
        "Entries": 0,
        "Exits": 0,
        "EntriesRecent": 0,
        "ExitsRecent": 0,
        "DwellCount": 0,
    }  # no dwell percentiles before a visit ended
    assert numbers(events[1]) == {"In": 0, "Out": 0, "InRecent": 0, "OutRecent": 0}
    assert events[0].origin == 100_000_000_000
    assert h.woken == [KIND_ANALYTICS, KIND_ANALYTICS]
    assert h.reading("cam.till", "Occupancy") == 0 and h.reading("cam.gate", "In") == 0
    assert {r.value_type for r in h.readings} == {"Int64"}


def test_changes_within_the_gap_go_out_together_with_their_crossing_and_entry(harnesses: Harnesses) -> None:
    h = harnesses()
    h.output.start(100.0)
    h.frame(100.2, 0.4)  # above the gate
    h.frame(100.5, 0.7)  # crossed it going down, and into the till
    assert len(h.events()) == 2  # within MinPublishGapS of the start: waiting
    assert h.reading("cam.gate", "In") == 1 and h.reading("cam.till", "Occupancy") == 1  # rules see it now
    h.output.tick(100.9)
    assert len(h.events()) == 2
    h.output.tick(101.0)
    till, gate = h.events()[2:]
    assert (till.device, numbers(till)["Occupancy"], numbers(till)["Entries"]) == ("cam.till", 1, 1)
    assert [(o.resource, o.value["trackId"], o.value["time"]) for o in till.objects] == [
        ("ZoneEntry", 1, 100_500_000_000)
    ]
    assert numbers(gate)["In"] == 1 and numbers(gate)["InRecent"] == 1
    assert [(o.resource, o.value["direction"]) for o in gate.objects] == [("Crossing", "in")]
    assert till.origin == 101_000_000_000  # when the counts were taken


def test_a_change_after_the_gap_goes_out_at_once_and_an_unchanged_frame_sends_nothing(
    harnesses: Harnesses,
) -> None:
    h = harnesses(settings_with(MinPublishGapS=0))
    h.output.start(100.0)
    h.frame(100.5, 0.7)  # first sighting: in the till (no crossing: a first sighting crosses nothing)
    assert [e.device for e in h.events()[2:]] == ["cam.till"]
    h.frame(101.0, 0.7)
    assert len(h.events()) == 3


def test_the_exit_carries_its_dwell_and_the_percentiles_appear(harnesses: Harnesses) -> None:
    h = harnesses(settings_with(MinPublishGapS=0))
    h.output.start(100.0)
    h.frame(100.0, 0.7)
    h.frame(110.0, 0.7)
    h.frame(112.0, 0.55)  # out of the till, still below the gate
    last = h.events()[-1]
    assert last.device == "cam.till"
    assert [(o.resource, o.value["dwellS"], o.value["reason"]) for o in last.objects] == [
        ("ZoneExit", 10.0, "left")
    ]
    values = numbers(last)
    assert (values["Occupancy"], values["Exits"], values["DwellCount"]) == (0, 1, 1)
    assert (values["DwellP50"], values["DwellP95"]) == (10.0, 10.0)
    assert h.reading("cam.till", "DwellP50") == 10.0
    assert [r.value_type for r in h.readings if r.resource == "DwellP50"] == ["Float64"]


def test_unchanged_counts_are_published_every_interval(harnesses: Harnesses) -> None:
    h = harnesses()
    h.output.start(100.0)
    h.output.refresh(159.0)
    assert len(h.events()) == 2
    h.output.refresh(160.0)
    assert [e.device for e in h.events()[2:]] == ["cam.till", "cam.gate"]
    assert numbers(h.events()[-1]) == {"In": 0, "Out": 0, "InRecent": 0, "OutRecent": 0}


def test_rates_fall_as_the_window_moves_and_that_is_a_change(harnesses: Harnesses) -> None:
    h = harnesses(settings_with(MinPublishGapS=0, RateWindowS=10))
    h.output.start(100.0)
    h.frame(100.0, 0.4)
    h.frame(100.5, 0.55)  # crossed in
    assert h.reading("cam.gate", "InRecent") == 1
    h.output.refresh(110.4)
    assert h.reading("cam.gate", "InRecent") == 1
    h.output.refresh(110.6)
    assert h.reading("cam.gate", "InRecent") == 0 and h.reading("cam.gate", "In") == 1
    assert numbers(h.events()[-1])["InRecent"] == 0


def test_a_backed_up_outbox_holds_new_events_and_merges_them(harnesses: Harnesses) -> None:
    h = harnesses(settings_with(max_pending=8, MinPublishGapS=0))
    h.output.start(100.0)  # two analytics rows pending: the limit (MaxPending // 4)
    h.frame(100.0, 0.4)
    h.frame(100.5, 0.55)  # crossed in
    h.frame(101.0, 0.4)  # crossed out
    assert len(h.events()) == 2  # held
    assert h.reading("cam.gate", "Out") == 1  # the rules are not held back
    for item in h.outbox.items("pending", 10):
        h.outbox.mark_delivered(item.row_id, 1.0, "ok")
    h.output.tick(101.1)
    (gate,) = h.events()
    assert (numbers(gate)["In"], numbers(gate)["Out"]) == (1, 1)
    assert [o.value["direction"] for o in gate.objects] == ["in", "out"]


def test_counters_are_written_on_refresh_and_resume_after_a_restart(harnesses: Harnesses) -> None:
    first = harnesses(settings_with(MinPublishGapS=0))
    first.output.start(100.0)
    first.frame(100.0, 0.4)
    first.frame(100.5, 0.7)  # in, and into the till
    first.output.refresh(101.0)
    first.state.close()
    first.outbox.close()
    harnesses.built.remove(first)

    again = harnesses(settings_with(MinPublishGapS=0))
    again.output.start(200.0)
    till, gate = again.events()[-2:]  # the restored counts are published at start
    assert numbers(gate)["In"] == 1
    assert (numbers(till)["Entries"], numbers(till)["Occupancy"]) == (1, 1)  # the visit is still open
    again.frame(201.0)  # the tracker restarted: the restored visit ends ("restart")
    last = again.events()[-1]
    assert last.device == "cam.till"
    assert [(o.resource, o.value["reason"]) for o in last.objects] == [("ZoneExit", "restart")]
    assert (numbers(last)["Occupancy"], numbers(last)["Exits"]) == (0, 1)


def test_an_unreadable_stored_counter_starts_from_zero(harnesses: Harnesses, tmp_path: Path) -> None:
    store = StateStore(tmp_path / "a" / "state.sqlite", 10)
    with store._lock:  # a row another version wrote
        store._db.execute("INSERT INTO counters VALUES ('cam', ?)", (json.dumps({"Version": 9}),))
        store._db.commit()
    store.close()
    h = harnesses()
    h.output.start(100.0)
    assert numbers(h.events()[-1])["In"] == 0


def test_the_event_of_a_payload_is_a_valid_add_event_request_with_numbers_as_edgex_formats_them(
    harnesses: Harnesses,
) -> None:
    h = harnesses(settings_with(MinPublishGapS=0))
    h.output.start(100.0)
    h.frame(100.0, 0.7)
    h.frame(112.5, 0.7)
    h.frame(113.0, 0.55)  # dwell: first to last frame seen inside
    till = next(e for e in reversed(h.events()) if e.device == "cam.till")
    req = build_count_request(till)
    validate_add_event_request(req)  # raises EventInvalid
    event = req.event
    assert (event.device_name, event.profile_name, event.source_name) == (
        "cam.till",
        "app-vision-analytics",
        "ZoneCounts",
    )
    assert event.origin == till.origin
    by_name = {r.resource_name: r for r in event.readings}
    assert (by_name["Exits"].value_type, by_name["Exits"].value) == ("Int64", "1")
    assert (by_name["DwellP50"].value_type, by_name["DwellP50"].value) == ("Float64", "1.250000e+01")
    assert by_name["ZoneExit"].value_type == "Object" and by_name["ZoneExit"].object_value["dwellS"] == 12.5
    assert all(r.origin == till.origin and r.device_name == "cam.till" for r in event.readings)
    assert build_count_request(till).event.id != event.id  # every attempt gets fresh ids
