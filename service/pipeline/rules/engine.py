"""The rule engine: frames and sensor updates in, alert lifecycle changes out.

Single-threaded by design: the pipeline's control thread alone calls it, in arrival order, so no
state here needs a lock. Every method takes the current time from its input (or as `now_s`) so
tests drive it with a fake clock.

Lanes: each (rule, camera) pair has its own persistence history, cooldown and at most one active
alert. The lanes live with the camera they belong to (a LaneSource: the camera table in the
pipeline, a plain LaneTable in tests); the engine asks for a camera's lanes once per input.
A new alert needs a fresh (non-stationary, unless the rule allows it) match that persisted;
an active alert is kept alive by any match, stationary or not, and ends EndAfterS after its last one.
Fusion rules open a window on a sensor edge; "seen" fires on the first match inside it, "absent"
fires when it closes without one.
A sensor condition with ForS holds once its comparison has held that long without a break (from
the reading that made it true; after a restart, from the first evaluation that finds it true). A
sensor rule with such a condition is evaluated on every tick as well, so it fires when the time is
up and its alert stays alive while the conditions hold. A sensor rule that names a camera keeps
its lane with that camera: its alerts are that camera's.
With modes (rules/modes.py), a rule the current mode does not enable is not evaluated: it starts
no alert, and its active alert ends after its quiet period like any other.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from service.pipeline.analysis.sighting import FrameView, Sighting
from service.pipeline.rule_settings import RuleSettings
from service.pipeline.rules.hours import ActiveHours
from service.pipeline.rules.matching import DetectionFilter, sensor_holds
from service.pipeline.rules.modes import ModeKeeper
from service.pipeline.state.records import Alert, AlertChange, SensorUpdate, StoredAlert, Transition
from service.pipeline.state.sensor_table import SensorTable


@dataclass(frozen=True, slots=True)
class RuleOutput:
    """What one input caused: lifecycle changes, cameras to fetch a frame from, suppressed alerts."""

    changes: tuple[AlertChange, ...] = ()
    frame_requests: tuple[str, ...] = ()
    suppressed: tuple[tuple[str, str], ...] = ()  # (rule, "cooldown" | "hours")


@dataclass(slots=True)
class Lane:
    """One rule on one camera: persistence history, cooldown, the active alert."""

    history: deque[bool]
    run_start_s: float | None = None
    alert: Alert | None = None
    sequence: int = 0
    last_new_s: float | None = None
    last_emit_s: float = 0.0
    matched_last: bool = False  # the camera's last analysed frame matched


@dataclass(slots=True)
class Lanes:
    """One camera's lanes by rule name."""

    camera: str
    by_rule: dict[str, Lane] = field(default_factory=dict)


class LaneSource(Protocol):
    """Where each camera's lanes are kept ("" is the camera of sensor-only rules)."""

    def lanes(self, camera: str) -> Lanes:
        """The camera's lanes (empty, for the engine to fill, for a camera not seen before)."""
        ...

    def all_lanes(self) -> Iterable[Lanes]:
        """Every camera's lanes."""
        ...


class LaneTable:
    """A LaneSource of its own, for a rule engine used without the camera table."""

    def __init__(self) -> None:
        self._lanes: dict[str, Lanes] = {}

    def lanes(self, camera: str) -> Lanes:
        lanes = self._lanes.get(camera)
        if lanes is None:
            lanes = self._lanes[camera] = Lanes(camera)
        return lanes

    def all_lanes(self) -> Iterable[Lanes]:
        return list(self._lanes.values())


@dataclass(slots=True)
class _Window:
    start_s: float
    end_s: float
    cause: str


@dataclass(slots=True)
class _Collector:
    changes: list[AlertChange] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    suppressed: list[tuple[str, str]] = field(default_factory=list)

    def output(self) -> RuleOutput:
        return RuleOutput(tuple(self.changes), tuple(self.requests), tuple(self.suppressed))


class _Rule:
    def __init__(self, settings: RuleSettings) -> None:
        self.settings = settings
        self.name = settings.Name
        self.kind = settings.kind
        self.filter = (
            DetectionFilter(settings.Detection, settings.Model) if settings.Detection is not None else None
        )
        self.hours = ActiveHours(settings.ActiveHours)
        self.held = self.kind == "sensor" and any(c.ForS > 0 for c in settings.Sensors)
        self.lane_camera = settings.Cameras[0] if self.kind == "sensor" and settings.Cameras else ""

    def watches(self, camera: str) -> bool:
        if self.settings.Trigger is not None:
            return self.settings.Trigger.Camera == camera
        return self.kind == "detection" and (not self.settings.Cameras or camera in self.settings.Cameras)


class RuleEngine:
    """Evaluates the enabled rules against frames, sensor updates and the passing of time."""

    def __init__(
        self,
        rules: list[RuleSettings],
        sensors: SensorTable,
        lanes: LaneSource | None = None,
        modes: ModeKeeper | None = None,
    ) -> None:
        self._all_rules = [_Rule(r) for r in rules if r.Enabled]
        self._modes = modes
        self._by_name = {rule.name: rule for rule in self._all_rules}
        self._sensors = sensors
        self._lanes = lanes if lanes is not None else LaneTable()
        self._windows: dict[str, _Window] = {}
        self._held_since: dict[tuple[str, int], float] = {}  # (rule, condition index) -> since when

    def replace_rules(self, rules: Sequence[RuleSettings], now_s: float) -> list[AlertChange]:
        """Evaluate these rules from now on (a live edit). A rule kept by name keeps its lanes, so its
        active alert, cooldown and persistence history carry on; a changed rule restarts its ForS
        holds. Returns the "end" of each active alert whose rule is gone or disabled (the caller
        records them without actions: there is no rule left to plan them from)."""
        new = [_Rule(r) for r in rules if r.Enabled]
        by_name = {rule.name: rule for rule in new}
        ended: list[AlertChange] = []
        for lanes in self._lanes.all_lanes():
            for name in [name for name in lanes.by_rule if name not in by_name]:
                lane = lanes.by_rule.pop(name)
                if lane.alert is not None:
                    alert = replace(lane.alert, state="ended", ended_s=now_s, updated_s=now_s)
                    ended.append(AlertChange("end", alert, None, lane.sequence))
            for name, lane in lanes.by_rule.items():
                detection = by_name[name].settings.Detection
                out_of = detection.PersistOutOf if detection is not None else 1
                if lane.history.maxlen != out_of:
                    lane.history = deque(lane.history, maxlen=out_of)
        unchanged = {
            r.name
            for r in new
            if (old := self._by_name.get(r.name)) is not None and old.settings == r.settings
        }
        self._windows = {name: w for name, w in self._windows.items() if name in by_name}
        self._held_since = {key: since for key, since in self._held_since.items() if key[0] in unchanged}
        self._all_rules, self._by_name = new, by_name
        return ended

    def resume(self, stored: Sequence[StoredAlert], ended: Sequence[Alert] = ()) -> list[StoredAlert]:
        """Take back active alerts from before a restart: each lane continues its alert (same id,
        sequence, cooldown from its start), so a match updates it and tick() ends it after its quiet
        period. Recently ended alerts restore their lanes' cooldown. Returns the active alerts no
        enabled rule owns any more (the caller ends them)."""
        for alert in ended:
            owner = self._by_name.get(alert.rule)
            if owner is not None:
                lane = self._lane(owner, self._lanes.lanes(alert.camera))
                if lane.last_new_s is None or alert.started_s > lane.last_new_s:
                    lane.last_new_s = alert.started_s
        orphans = []
        for item in stored:
            rule = self._by_name.get(item.alert.rule)
            if rule is None:
                orphans.append(item)
                continue
            lane = self._lane(rule, self._lanes.lanes(item.alert.camera))
            lane.alert = item.alert
            lane.sequence = item.next_sequence
            lane.last_new_s = item.alert.started_s
            lane.last_emit_s = item.alert.updated_s
        return orphans

    def on_frame(self, view: FrameView) -> RuleOutput:
        """Evaluate detection and fusion rules watching the frame's camera."""
        out = _Collector()
        now = view.analysed_s
        lanes = self._lanes.lanes(view.camera)
        for rule in self._rules:
            if rule.filter is None or not rule.watches(view.camera):  # sensor rules watch no camera
                continue
            matches = rule.filter.matching(view)
            if not self._sensors_hold(rule, None, now):
                matches = ()
            if rule.kind == "fusion":
                self._fusion_frame(rule, view, matches, lanes, out)
            else:
                self._detection_frame(rule, view, matches, lanes, out)
        return out.output()

    def on_still(self, camera: str, now_s: float) -> None:
        """An unchanged frame: active alerts whose last analysed frame matched stay alive."""
        for lane in self._lanes.lanes(camera).by_rule.values():
            if lane.alert is not None and lane.matched_last:
                lane.alert = replace(lane.alert, last_match_s=max(lane.alert.last_match_s, now_s))

    def on_sensor(self, update: SensorUpdate) -> RuleOutput:
        """Open fusion windows on trigger edges and evaluate sensor-only rules."""
        out = _Collector()
        now = update.state.updated_s
        state = update.state
        if self._modes is not None:
            self._modes.on_sensor(update, now)
        self._note_holds(update, now)
        for rule in self._rules:
            trigger = rule.settings.Trigger
            if trigger is not None:
                edge_hit = (trigger.Device, trigger.Resource, trigger.Edge) == (
                    state.device,
                    state.resource,
                    update.edge,
                )
                if edge_hit and rule.name not in self._windows:
                    cause = f"{state.device}/{state.resource} {update.edge}"
                    self._windows[rule.name] = _Window(now, now + trigger.WindowS, cause)
                    if trigger.RequestFrame:
                        out.requests.append(trigger.Camera)
            elif rule.kind == "sensor" and self._sensors_hold(rule, update, now):
                self._hit(
                    rule, self._lanes.lanes(rule.lane_camera), now, (), None, self._held_summary(rule), out
                )
        return out.output()

    def tick(self, now_s: float) -> RuleOutput:
        """Close expired fusion windows and end alerts past their quiet period."""
        out = _Collector()
        if self._modes is not None:
            self._modes.tick(now_s)
        rules = self._rules
        enabled = {rule.name for rule in rules}
        for name in [name for name in self._windows if name not in enabled]:
            del self._windows[name]  # switched off in this mode: its window closes without an alert
        for rule in rules:
            if rule.held and self._sensors_hold(rule, None, now_s):
                self._hit(
                    rule, self._lanes.lanes(rule.lane_camera), now_s, (), None, self._held_summary(rule), out
                )
            window = self._windows.get(rule.name)
            trigger = rule.settings.Trigger
            if window is None or trigger is None or now_s < window.end_s:
                continue
            del self._windows[rule.name]
            if trigger.Expect == "absent":
                labels = "/".join(rule.settings.Detection.Labels) if rule.settings.Detection else "object"
                summary = (
                    f"no {labels} seen by {trigger.Camera} within {trigger.WindowS:g} s of {window.cause}"
                )
                self._hit(rule, self._lanes.lanes(trigger.Camera), now_s, (), None, summary, out)
        for lanes in self._lanes.all_lanes():
            for rule_name, lane in lanes.by_rule.items():
                alert = lane.alert
                end_after_s = self._by_name[rule_name].settings.EndAfterS
                if alert is not None and now_s - alert.last_match_s >= end_after_s:
                    ended = replace(alert, state="ended", ended_s=now_s, updated_s=now_s)
                    lane.alert = None
                    self._emit(lane, "end", ended, None, out)
        return out.output()

    @property
    def _rules(self) -> list[_Rule]:
        """The enabled rules the current mode enables."""
        modes = self._modes
        if modes is None or not modes.configured:
            return self._all_rules
        return [rule for rule in self._all_rules if modes.enabled(rule.name)]

    def collecting(self, lanes: Lanes) -> bool:
        """Whether a rule on this camera is gathering evidence: a match in its persistence history,
        an active alert, or an open fusion window for the camera."""
        if any(lane.alert is not None or any(lane.history) for lane in lanes.by_rule.values()):
            return True
        return lanes.camera in self.window_cameras()

    def window_cameras(self) -> set[str]:
        """The cameras of the fusion windows open now."""
        return {
            trigger.Camera
            for rule in self._rules
            if rule.name in self._windows and (trigger := rule.settings.Trigger) is not None
        }

    def open_windows(self) -> dict[str, float]:
        """Fusion windows open now: rule name to closing time."""
        return {name: window.end_s for name, window in self._windows.items()}

    def _detection_frame(
        self, rule: _Rule, view: FrameView, matches: tuple[Sighting, ...], lanes: Lanes, out: _Collector
    ) -> None:
        cond = rule.settings.Detection
        assert cond is not None  # detection rules always have one
        lane = self._lane(rule, lanes)
        fresh = matches if cond.IncludeStationary else tuple(s for s in matches if not s.stationary)
        now = view.analysed_s
        fresh_hit = len(fresh) >= cond.MinCount
        lane.matched_last = len(matches) >= cond.MinCount
        lane.history.append(fresh_hit)
        lane.run_start_s = (lane.run_start_s if lane.run_start_s is not None else now) if fresh_hit else None
        persisted = sum(lane.history) >= cond.PersistFrames and (
            lane.run_start_s is not None and now - lane.run_start_s >= cond.PersistS
        )
        if lane.alert is not None and len(matches) >= cond.MinCount:
            self._hit(rule, lanes, now, matches, view, "", out)
        elif lane.alert is None and fresh_hit and persisted:
            self._hit(rule, lanes, now, fresh, view, _summary(rule, view.camera, fresh), out)

    def _fusion_frame(
        self, rule: _Rule, view: FrameView, matches: tuple[Sighting, ...], lanes: Lanes, out: _Collector
    ) -> None:
        window = self._windows.get(rule.name)
        trigger = rule.settings.Trigger
        cond = rule.settings.Detection
        assert trigger is not None and cond is not None  # fusion rules have both
        if window is None or view.analysed_s < window.start_s or len(matches) < cond.MinCount:
            return
        del self._windows[rule.name]
        if trigger.Expect == "seen":
            summary = f"{_summary(rule, view.camera, matches)} within {trigger.WindowS:g} s of {window.cause}"
            self._hit(rule, lanes, view.analysed_s, matches, view, summary, out)

    def _hit(
        self,
        rule: _Rule,
        lanes: Lanes,
        now: float,
        sightings: tuple[Sighting, ...],
        view: FrameView | None,
        summary: str,
        out: _Collector,
    ) -> None:
        """A match: update the active alert, or start a new one unless cooldown or hours forbid."""
        lane = self._lane(rule, lanes)
        latency = view.latency_s if view is not None else None
        if lane.alert is not None:
            alert = replace(
                lane.alert,
                last_match_s=now,
                sightings=sightings or lane.alert.sightings,
                latency_s=latency if latency is not None else lane.alert.latency_s,
            )
            lane.alert = alert
            if now - lane.last_emit_s >= rule.settings.UpdateEveryS:
                lane.alert = alert = replace(alert, updates=alert.updates + 1, updated_s=now)
                self._emit(lane, "update", alert, view, out)
            return
        if not rule.hours.allows(now):
            out.suppressed.append((rule.name, "hours"))
            return
        if lane.last_new_s is not None and now - lane.last_new_s < rule.settings.CooldownS:
            out.suppressed.append((rule.name, "cooldown"))
            return
        model = sightings[0].model if sightings else rule.settings.Model
        lane.alert = Alert(
            alert_id=str(uuid.uuid4()),
            rule=rule.name,
            camera=lanes.camera,
            severity=rule.settings.Severity,
            model=model,
            summary=summary,
            state="active",
            started_s=now,
            updated_s=now,
            last_match_s=now,
            sightings=sightings,
            latency_s=latency,
        )
        lane.last_new_s = now
        lane.sequence = 0
        self._emit(lane, "new", lane.alert, view, out)

    def _emit(
        self, lane: Lane, transition: Transition, alert: Alert, view: FrameView | None, out: _Collector
    ) -> None:
        out.changes.append(AlertChange(transition, alert, view, lane.sequence))
        lane.sequence += 1
        lane.last_emit_s = alert.updated_s

    def _sensors_hold(self, rule: _Rule, update: SensorUpdate | None, now: float) -> bool:
        for index, condition in enumerate(rule.settings.Sensors):
            if not sensor_holds(condition, self._sensors, update, now):
                return False
            if condition.ForS > 0:
                since = self._held_since.setdefault((rule.name, index), now)
                if now - since < condition.ForS:
                    return False
        return True

    def _note_holds(self, update: SensorUpdate, now: float) -> None:
        """Start or break the hold time of every ForS condition on the updated resource."""
        state = update.state
        for rule in self._all_rules:  # a rule off in this mode keeps its hold time
            for index, condition in enumerate(rule.settings.Sensors):
                if condition.ForS <= 0 or (condition.Device, condition.Resource) != (
                    state.device,
                    state.resource,
                ):
                    continue
                if sensor_holds(condition, self._sensors, update, now):
                    self._held_since.setdefault((rule.name, index), now)
                else:
                    self._held_since.pop((rule.name, index), None)

    def _held_summary(self, rule: _Rule) -> str:
        """'rule: cam.checkout/Occupancy gt 5 for 60 s (6)': each condition and the value it saw."""
        parts = []
        for condition in rule.settings.Sensors:
            state = self._sensors.get(condition.Device, condition.Resource)
            test = f"{condition.Device}/{condition.Resource} {condition.Op}"
            if condition.Value is not None:
                test += f" {condition.Value}"
            if condition.ForS > 0:
                test += f" for {condition.ForS:g} s"
            if state is not None and condition.Op not in {"rising", "falling", "active_within"}:
                test += f" ({state.value})"
            parts.append(test)
        return f"{rule.name}: {'; '.join(parts)}"

    def _lane(self, rule: _Rule, lanes: Lanes) -> Lane:
        lane = lanes.by_rule.get(rule.name)
        if lane is None:
            out_of = rule.settings.Detection.PersistOutOf if rule.settings.Detection else 1
            lane = lanes.by_rule[rule.name] = Lane(deque(maxlen=out_of))
        return lane


def _summary(rule: _Rule, camera: str, sightings: tuple[Sighting, ...]) -> str:
    if not sightings:
        return f"{rule.name} on {camera}"
    labels = sorted({s.label for s in sightings})
    best = max(s.score for s in sightings)
    zones = sorted({z for s in sightings for z in s.zones})
    where = f" in {', '.join(zones)}" if zones else ""
    return f"{len(sightings)} {'/'.join(labels)} seen by {camera}{where} (best {best:.2f}, rule {rule.name})"
