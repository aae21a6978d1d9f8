"""Chain: stages in order, one error handler; ControlLoop: its thread runs each chain, stop() drains."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from service.metrics import Metrics
from service.pipeline.actions.outbox import Outbox
from service.pipeline.analysis.analyser import FrameAnalyser
from service.pipeline.analysis.sighting import AnalysedFrame, FrameView, StillFrame
from service.pipeline.analysis.tracking import Observation
from service.pipeline.cameras.camera_state import CameraTable
from service.pipeline.control.chain import Chain
from service.pipeline.control.context import CameraResult, ControlContext
from service.pipeline.control.loop import ControlDeps, ControlLoop
from service.pipeline.ingest.sensor_reading import SensorReading
from service.pipeline.rules.engine import RuleOutput
from service.pipeline.settings import OutboxSettings, PipelineSettings
from service.pipeline.state.alert_book import AlertBook
from service.pipeline.state.sensor_table import SensorTable
from service.pipeline.state.snapshot_store import SnapshotStore
from service.pipeline.state.state_store import StateStore
from tests.unit.pipeline.support import FakeEngine, wait_for

CHAIN_LOG = "service.pipeline.control.chain"


def processing_failures(metrics: Metrics) -> float:
    return metrics.registry.get_sample_value("invalid_messages_total", {"reason": "processing"}) or 0.0


@dataclass
class Step:
    """A stage recording each context it ran on; raises while `failures` > 0."""

    name: str
    ran: list[tuple[str, ControlContext]]
    failures: int = 0

    def __call__(self, ctx: ControlContext) -> None:
        self.ran.append((self.name, ctx))
        if self.failures:
            self.failures -= 1
            raise ValueError(f"{self.name} broke")


def steps(*names: str) -> tuple[list[tuple[str, ControlContext]], list[Step]]:
    ran: list[tuple[str, ControlContext]] = []
    return ran, [Step(name, ran) for name in names]


def test_stages_run_in_order_on_one_context() -> None:
    metrics = Metrics()
    ran: list[tuple[str, ControlContext]] = []
    seen: list[tuple[str, ...]] = []

    class Ask:
        name = "ask"

        def __call__(self, ctx: ControlContext) -> None:
            ran.append((self.name, ctx))
            ctx.output = RuleOutput(frame_requests=("cam",))

    class Read:
        name = "read"

        def __call__(self, ctx: ControlContext) -> None:
            ran.append((self.name, ctx))
            seen.append(ctx.output.frame_requests)

    ctx = ControlContext(1.0, "tick")
    assert Chain((Step("first", ran), Ask(), Read()), metrics).run(ctx) is True
    assert [name for name, _ in ran] == ["first", "ask", "read"]
    assert all(seen_ctx is ctx for _, seen_ctx in ran)
    assert seen == [("cam",)]  # a later stage reads what an earlier one left
    assert processing_failures(metrics) == 0


def test_a_failing_stage_stops_its_items_chain_and_is_logged_and_counted_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    metrics = Metrics()
    ran, (a, b, c) = steps("a", "b", "c")
    b.failures = 1
    chain = Chain((a, b, c), metrics)
    caplog.set_level(logging.ERROR, logger=CHAIN_LOG)
    failing = ControlContext(1.0, "frame of cam-1 (event ev-9)", "corr-7")
    assert chain.run(failing) is False
    assert [name for name, _ in ran] == ["a", "b"]
    [record] = [r for r in caplog.records if r.name == CHAIN_LOG]
    message = record.getMessage()
    assert "stage b" in message and "frame of cam-1 (event ev-9)" in message and "corr-7" in message
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None and isinstance(record.exc_info[1], ValueError)
    assert processing_failures(metrics) == 1

    ran.clear()
    caplog.clear()
    assert chain.run(ControlContext(2.0, "reading pir/Motion")) is True  # the next item runs as usual
    assert [name for name, _ in ran] == ["a", "b", "c"]
    assert [r for r in caplog.records if r.name == CHAIN_LOG] == []
    assert processing_failures(metrics) == 1


def test_a_failure_without_a_correlation_id_logs_a_dash(caplog: pytest.LogCaptureFixture) -> None:
    metrics = Metrics()
    _, (a,) = steps("only")
    a.failures = 2
    chain = Chain((a,), metrics)
    caplog.set_level(logging.ERROR, logger=CHAIN_LOG)
    assert chain.run(ControlContext(1.0, "tick")) is False
    assert chain.run(ControlContext(2.0, "tick")) is False
    messages = [r.getMessage() for r in caplog.records if r.name == CHAIN_LOG]
    assert messages == ["control stage only failed on tick (correlation -)"] * 2
    assert processing_failures(metrics) == 2


# ControlLoop on its thread

SETTINGS = PipelineSettings.model_validate(
    {
        "Devices": {"cam": {"Role": "camera"}},
        "Rules": [
            {"Name": "person", "Cameras": ["cam"], "Detection": {"Labels": ["person"]}},
            {"Name": "pir", "Sensors": [{"Device": "pir", "Resource": "Motion", "Op": "eq", "Value": True}]},
            {
                "Name": "door",
                "Detection": {},
                "Trigger": {"Device": "door", "Resource": "Open", "Camera": "cam", "WindowS": 5},
            },
        ],
    }
)
NOW = 1000.0


@dataclass
class Loop:
    loop: ControlLoop
    deps: ControlDeps
    enqueued: list[str] = field(default_factory=list)
    requested: list[str] = field(default_factory=list)
    views: list[FrameView] = field(default_factory=list)

    def rules_alerting(self) -> set[str]:
        return {alert.rule for alert in self.deps.alerts.active()}


class Loops:
    """Builds control loops over fresh parts; stops them and closes their outboxes at the end."""

    def __init__(self, tmp_path: Path) -> None:
        self._tmp_path = tmp_path
        self.built: list[Loop] = []

    def __call__(self, request_frame: Callable[[str], None] | None = None) -> Loop:
        metrics = Metrics()
        analyser = FrameAnalyser(SETTINGS, FakeEngine())
        directory = self._tmp_path / f"loop-{len(self.built)}"
        enqueued: list[str] = []
        requested: list[str] = []
        deps = ControlDeps(
            SETTINGS,
            SensorTable(None),
            AlertBook(10, None),
            Outbox(directory / "outbox.sqlite", OutboxSettings(), lambda: NOW),
            SnapshotStore(directory / "snapshots", SETTINGS.Snapshots),
            CameraTable(SETTINGS, analyser.new_state, metrics),
            StateStore(directory / "state.sqlite", 10),
            metrics,
            enqueued.append,
            request_frame or requested.append,
            lambda: NOW,
        )
        harness = Loop(ControlLoop(deps), deps, enqueued, requested)
        harness.loop.add_listener(harness.views.append)
        self.built.append(harness)
        return harness


@pytest.fixture
def loops(tmp_path: Path) -> Iterator[Loops]:
    made = Loops(tmp_path)
    yield made
    for harness in made.built:
        harness.loop.stop(1.0)
        harness.deps.outbox.close()


def reading(device: str, resource: str, value: bool, origin_ns: int = 1) -> SensorReading:
    return SensorReading(device, resource, "Bool", value, origin_ns, NOW)


def person_frame(event_id: str = "ev-1") -> AnalysedFrame:
    return AnalysedFrame(
        "cam",
        640,
        480,
        (Observation("person", "person", 0.9, (100.0, 100.0, 200.0, 400.0)),),
        int((NOW - 0.1) * 1e9),
        NOW,
        event_id,
        "corr-1",
        np.full((480, 640, 3), 128, np.uint8),
    )


def test_stop_drains_what_was_submitted(loops: Loops) -> None:
    control = loops()
    loop, deps = control.loop, control.deps
    cam = deps.cameras.state("cam")
    loop.submit(reading("pir", "Motion", True))
    loop.submit(CameraResult(cam, person_frame()))
    loop.submit_result(cam, StillFrame("cam", NOW))
    loop.submit(reading("door", "Open", True))
    assert loop.backlog() == 4
    loop.start()
    loop.stop()
    assert loop.backlog() == 0
    assert control.rules_alerting() == {"pir", "person"}
    assert [view.event_id for view in control.views] == ["ev-1"]
    assert cam.counters.analysed == 1
    assert control.enqueued == ["event", "event"]  # one result event per new alert
    assert deps.outbox.counts()["pending"] == 2
    [person] = [a for a in deps.alerts.active() if a.rule == "person"]
    assert deps.snapshots.read(person.snapshot) is not None
    assert control.requested == ["cam"]  # the door rule wants a frame of cam
    assert processing_failures(deps.metrics) == 0


def test_a_failing_item_does_not_stop_the_loop(loops: Loops, caplog: pytest.LogCaptureFixture) -> None:
    requests_failed = threading.Event()

    def broken_request(camera: str) -> None:
        requests_failed.set()
        raise RuntimeError(f"no frame of {camera}")

    control = loops(broken_request)
    loop, deps = control.loop, control.deps
    caplog.set_level(logging.ERROR, logger=CHAIN_LOG)
    loop.start()
    loop.submit(reading("door", "Open", True))
    assert requests_failed.wait(5)
    loop.submit(reading("pir", "Motion", True))
    assert wait_for(lambda: "pir" in control.rules_alerting())
    loop.submit_result(deps.cameras.state("cam"), person_frame("ev-2"))
    assert wait_for(lambda: len(control.views) == 1)
    loop.stop()
    assert control.views[0].event_id == "ev-2"
    assert processing_failures(deps.metrics) == 1
    [record] = [r for r in caplog.records if r.name == CHAIN_LOG]
    assert "stage requests" in record.getMessage() and "reading door/Open" in record.getMessage()


def test_process_reports_a_failed_chain_and_keeps_what_earlier_stages_did(loops: Loops) -> None:
    control = loops()
    loop, deps = control.loop, control.deps

    def broken_listener(view: FrameView) -> None:
        raise RuntimeError(f"listener broke on {view.event_id}")

    loop.add_listener(broken_listener)
    assert loop.process(reading("pir", "Motion", True)) is True
    assert loop.process(CameraResult(deps.cameras.state("cam"), person_frame())) is False
    assert control.rules_alerting() == {"pir", "person"}  # alerts and actions come before observe
    assert [view.event_id for view in control.views] == ["ev-1"]  # the listener before the broken one
    assert processing_failures(deps.metrics) == 1
