"""Detection filters and sensor conditions, compiled once per rule and evaluated per frame/reading."""

from __future__ import annotations

import statistics

from service.pipeline.analysis.sighting import FrameView, Sighting
from service.pipeline.ingest.sensor_reading import SensorValue
from service.pipeline.rule_settings import DetectionCondition, SensorCondition
from service.pipeline.state.records import SensorUpdate
from service.pipeline.state.sensor_table import SensorTable


class DetectionFilter:
    """A rule's detection condition, minus persistence (which needs per-camera history)."""

    def __init__(self, condition: DetectionCondition, model: str) -> None:
        self.condition = condition
        self._model = model
        self._labels = frozenset(condition.Labels)
        self._zones = frozenset(condition.Zones)

    def matching(self, view: FrameView) -> tuple[Sighting, ...]:
        """Sightings that pass label, model, score, median-score, area and zone filters."""
        frame_area = float(view.width * view.height)
        return tuple(s for s in view.sightings if self._passes(s, frame_area))

    def _passes(self, sighting: Sighting, frame_area: float) -> bool:
        cond = self.condition
        if sighting.label not in self._labels or (self._model and sighting.model != self._model):
            return False
        if sighting.score < cond.MinScore:
            return False
        if cond.MedianScore > 0 and statistics.median(sighting.scores[-cond.MedianOf :]) < cond.MedianScore:
            return False
        area = max(0.0, sighting.box[2] - sighting.box[0]) * max(0.0, sighting.box[3] - sighting.box[1])
        if area < cond.MinAreaPx or (cond.MaxAreaPx and area > cond.MaxAreaPx):
            return False
        pct = 100.0 * area / frame_area if frame_area > 0 else 0.0
        if pct < cond.MinAreaPct or pct > cond.MaxAreaPct:
            return False
        return not self._zones or bool(self._zones.intersection(sighting.zones))


def _compare(op: str, left: SensorValue | None, right: SensorValue | None) -> bool:
    if left is None or right is None:
        return False
    if isinstance(left, bool) or isinstance(right, bool) or isinstance(left, str) or isinstance(right, str):
        if op == "eq":
            return type(left) is type(right) and left == right
        if op == "ne":
            return not (type(left) is type(right) and left == right)
        return False  # ordering is defined for numbers only
    a, b = float(left), float(right)
    return {"eq": a == b, "ne": a != b, "gt": a > b, "ge": a >= b, "lt": a < b, "le": a <= b}[op]


def sensor_holds(
    condition: SensorCondition, table: SensorTable, update: SensorUpdate | None, now_s: float
) -> bool:
    """Whether a sensor condition holds now; an edge with WithinS 0 needs `update` to be that edge."""
    if condition.Op == "active_within":
        return table.is_active_within(condition.Device, condition.Resource, condition.WithinS, now_s)
    state = table.get(condition.Device, condition.Resource)
    if condition.Op in {"rising", "falling"}:
        if condition.WithinS == 0:
            return (
                update is not None
                and update.state.device == condition.Device
                and update.state.resource == condition.Resource
                and update.edge == condition.Op
            )
        last = (
            None
            if state is None
            else (state.last_rising_s if condition.Op == "rising" else state.last_falling_s)
        )
        return last is not None and now_s - last <= condition.WithinS
    return state is not None and _compare(condition.Op, state.value, condition.Value)
