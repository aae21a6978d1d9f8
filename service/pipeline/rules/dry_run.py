"""Dry run: would this rule have fired over the recent inputs? (The page's rule editor asks.)

The rule runs alone, in a fresh engine with a fresh sensor table, over the frames and readings the
pipeline kept (control/recent_inputs.py), in their order, with ticks every TICK_S between them, as
the control loop would have run it. Modes are left out: the question is about the rule itself.
Sensor states from before the window are not known, so a condition on a reading that did not
change in the window does not hold (the result says how many readings it saw).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from service.pipeline.analysis.sighting import FrameView
from service.pipeline.ingest.sensor_reading import SensorReading
from service.pipeline.rule_settings import RuleSettings
from service.pipeline.rules.engine import RuleEngine, RuleOutput
from service.pipeline.state.records import Alert
from service.pipeline.state.sensor_table import SensorTable

TICK_S = 0.1


@dataclass(frozen=True, slots=True)
class DryRunResult:
    """The alerts the rule would have started (and ended), and what it was run over."""

    alerts: tuple[Alert, ...]  # as they stood when each started
    ended: int
    suppressed: int  # by cooldown or active hours
    frames: int
    readings: int
    start_s: float
    end_s: float


def dry_run(
    rule: RuleSettings, items: Sequence[FrameView | SensorReading], start_s: float, end_s: float
) -> DryRunResult:
    """Replay the inputs through the rule alone."""
    sensors = SensorTable()
    engine = RuleEngine([rule.model_copy(update={"Enabled": True})], sensors)
    started: list[Alert] = []
    ended = suppressed = frames = readings = 0
    clock = start_s

    def collect(out: RuleOutput) -> None:
        nonlocal ended, suppressed
        for change in out.changes:
            if change.transition == "new":
                started.append(change.alert)
            elif change.transition == "end":
                ended += 1
        suppressed += len(out.suppressed)

    for item in items:
        now = item.analysed_s if isinstance(item, FrameView) else item.received_s
        while clock + TICK_S <= now:
            clock += TICK_S
            collect(engine.tick(clock))
        if isinstance(item, FrameView):
            frames += 1
            collect(engine.on_frame(item))
        else:
            readings += 1
            update = sensors.apply(item)
            if update.applied:
                collect(engine.on_sensor(update))
    while clock + TICK_S <= end_s:
        clock += TICK_S
        collect(engine.tick(clock))
    return DryRunResult(tuple(started), ended, suppressed, frames, readings, start_s, end_s)
