"""Configuration objects edited live: rules, and each camera's zones, lines and motion masks.

Each edit is validated as the configuration file is (RuleSettings or DeviceSettings, then the whole
PipelineSettings with the change: zones on the rules' cameras, rule names the modes use, unique
names), and a rule's Model must already run on the cameras it watches (models per camera are fixed
at start). A valid edit is applied on the control thread (ControlLoop.apply_settings: kept rules
keep their active alerts and cooldowns, kept zones and lines their counts) and stored in the state
file as a new version with a diff, so it survives a restart: at start the newest version's objects
replace the file's (config_at_start()). The first edit stores the file's objects as version 1, so
every change can be rolled back.

Thread-safe (REST threads): edits are serialised by a lock.
"""

from __future__ import annotations

import difflib
import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import ValidationError

from service.pipeline.control.recent_inputs import MAX_AGE_S, RecentInputs
from service.pipeline.rule_settings import RuleSettings
from service.pipeline.rules.dry_run import DryRunResult, dry_run
from service.pipeline.settings import PipelineSettings
from service.pipeline.state.state_store import StateStore

LOG = logging.getLogger(__name__)
GEOMETRY = ("Zones", "Lines", "MotionMasks")
Editable = dict[str, Any]  # {"Rules": [...], "Cameras": {name: {"Zones", "Lines", "MotionMasks"}}}


class ConfigEditError(ValueError):
    """An edit that cannot be made; `status` is the HTTP status REST answers with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class ConfigVersion:
    """One stored version: its number, when, what changed, the objects, the diff from the one before."""

    version: int
    at_s: float
    change: str
    config: Editable
    diff: str


class SettingsSink(Protocol):
    """Where a valid edit is applied (ControlLoop.apply_settings)."""

    def __call__(self, settings: PipelineSettings, rules_changed: bool, cameras: Sequence[str]) -> None: ...


def config_at_start(settings: PipelineSettings, state: StateStore) -> PipelineSettings:
    """The settings with the newest stored version's objects (the file's if there is none, or if
    that version no longer validates against the rest of the configuration: logged)."""
    rows = state.config_versions()
    if not rows:
        return settings
    version, _, _, config_json, _ = rows[-1]
    try:
        return _with(settings, json.loads(config_json))
    except (ValueError, ValidationError) as exc:
        LOG.warning("configuration version %d no longer validates, using the file's: %s", version, exc)
        return settings


class ConfigEditor:
    """The editable objects of a running pipeline, changed one edit at a time."""

    def __init__(
        self,
        settings: PipelineSettings,
        state: StateStore,
        apply: SettingsSink,
        clock: Callable[[], float],
        models_for: Callable[[str], Sequence[str]] | None = None,
        recent: RecentInputs | None = None,
    ) -> None:
        self._settings = settings
        self._recent = recent or RecentInputs()
        self._state = state
        self._apply = apply
        self._clock = clock
        self._models_for = models_for or settings.models_for
        self._lock = threading.Lock()

    @property
    def rules(self) -> tuple[RuleSettings, ...]:
        """The rules in force, in evaluation order."""
        return tuple(self._settings.Rules)

    def get(self, name: str) -> RuleSettings:
        """A rule by name; 404 ConfigEditError when there is none."""
        for rule in self._settings.Rules:
            if rule.Name == name:
                return rule
        raise ConfigEditError(404, f"no rule {name}")

    def create(self, body: Any) -> RuleSettings:
        """Add a rule at the end (409 when the name is taken)."""
        with self._lock:
            rule = _parse_rule(body)
            if any(r.Name == rule.Name for r in self._settings.Rules):
                raise ConfigEditError(409, f"rule {rule.Name} exists; update it with PUT")
            config = _editable(self._settings)
            config["Rules"].append(_dump_rule(rule))
            self._commit(config, f"create rule {rule.Name}")
            return rule

    def update(self, name: str, body: Any) -> RuleSettings:
        """Replace a rule, keeping its place (its Name must stay the same)."""
        with self._lock:
            self.get(name)
            rule = _parse_rule(body)
            if rule.Name != name:
                message = f"invalid request: Name: {rule.Name!r} differs from the rule's name {name!r}"
                raise ConfigEditError(400, message)
            config = _editable(self._settings)
            config["Rules"] = [_dump_rule(rule) if r["Name"] == name else r for r in config["Rules"]]
            self._commit(config, f"update rule {name}")
            return rule

    def delete(self, name: str) -> None:
        """Remove a rule (its active alerts end)."""
        with self._lock:
            self.get(name)
            config = _editable(self._settings)
            config["Rules"] = [r for r in config["Rules"] if r["Name"] != name]
            self._commit(config, f"delete rule {name}")

    def dry_run(self, body: Any, minutes: float) -> DryRunResult:
        """Would this rule (validated as an edit would be, but not stored) have fired in the last
        `minutes`, over the frames and readings kept (at most MAX_AGE_S)?"""
        if not 0 < minutes <= MAX_AGE_S / 60:
            raise ConfigEditError(400, f"invalid request: minutes: must be > 0 and <= {MAX_AGE_S / 60:g}")
        rule = _parse_rule(body)
        config = _editable(self._settings)
        config["Rules"] = [r for r in config["Rules"] if r["Name"] != rule.Name] + [_dump_rule(rule)]
        try:
            settings = _with(self._settings, config)
        except ValidationError as exc:
            raise ConfigEditError(400, "invalid request: " + _problems(exc)) from exc
        self._check_models(settings)
        now = self._clock()
        start = now - minutes * 60
        return dry_run(rule, self._recent.since(start), start, now)

    def geometry(self, camera: str) -> dict[str, Any]:
        """A camera's Zones, Lines and MotionMasks; 404 for a device that is not a configured camera."""
        cameras = _editable(self._settings)["Cameras"]
        if camera not in cameras:
            raise ConfigEditError(404, f"no camera {camera} in Pipeline.Devices")
        geometry: dict[str, Any] = cameras[camera]
        return geometry

    def set_geometry(self, camera: str, body: Any) -> dict[str, Any]:
        """Replace a camera's Zones, Lines and MotionMasks (keys left out become empty)."""
        with self._lock:
            self.geometry(camera)
            if not isinstance(body, dict):
                raise ConfigEditError(400, "invalid request: body: Input should be a valid dictionary")
            unknown = sorted(set(body) - set(GEOMETRY))
            if unknown:
                raise ConfigEditError(400, f"invalid request: {unknown[0]}: Extra inputs are not permitted")
            config = _editable(self._settings)
            config["Cameras"][camera] = {
                key: body.get(key, [] if key == "MotionMasks" else {}) for key in GEOMETRY
            }
            self._commit(config, f"set zones, lines and masks of {camera}")
            return self.geometry(camera)

    def versions(self) -> list[ConfigVersion]:
        """Every stored version, newest first."""
        return [
            ConfigVersion(v, at, change, json.loads(config), diff)
            for v, at, change, config, diff in reversed(self._state.config_versions())
        ]

    def rollback(self, version: int) -> ConfigVersion:
        """Put the objects of an earlier version back (itself a new version)."""
        with self._lock:
            rows = {v: config for v, _, _, config, _ in self._state.config_versions()}
            if version not in rows:
                raise ConfigEditError(404, f"no configuration version {version}")
            self._commit(json.loads(rows[version]), f"rollback to version {version}")
            return self.versions()[0]

    def _commit(self, config: Editable, change: str) -> None:
        try:
            settings = _with(self._settings, config)
        except ValidationError as exc:
            raise ConfigEditError(400, "invalid request: " + _problems(exc)) from exc
        self._check_models(settings)
        before = _editable(self._settings)
        after = _editable(settings)
        if after == before:
            return
        if not self._state.config_versions():  # the file's objects become version 1, to roll back to
            self._state.add_config_version(self._clock(), "the configuration file", _text(before), "")
        cameras = [name for name in after["Cameras"] if after["Cameras"][name] != before["Cameras"].get(name)]
        self._apply(settings, after["Rules"] != before["Rules"], cameras)
        self._settings = settings
        diff = "".join(difflib.unified_diff(_lines(before), _lines(after), "before", change, n=2))
        version = self._state.add_config_version(self._clock(), change, _text(after), diff)
        LOG.info("configuration: %s (version %d)", change, version)

    def _check_models(self, settings: PipelineSettings) -> None:
        cameras = [name for name, device in settings.Devices.items() if device.Role == "camera"]
        for rule in settings.Rules:
            if not rule.Model or not rule.Enabled:
                continue
            watched = [rule.Trigger.Camera] if rule.Trigger is not None else rule.Cameras
            for camera in watched or cameras:
                if rule.Model not in self._models_for(camera):
                    raise ConfigEditError(
                        400,
                        f"invalid request: Model: {rule.Model!r} does not run on camera {camera} "
                        f"(add it to Devices.{camera}.Models and restart)",
                    )


def _editable(settings: PipelineSettings) -> Editable:
    """The objects edits change, as JSON: the rules, and every camera's geometry."""
    cameras = {}
    for name, device in settings.Devices.items():
        if device.Role == "camera":
            dumped = device.model_dump(mode="json")
            cameras[name] = {key: dumped[key] for key in GEOMETRY}
    return {"Rules": [_dump_rule(rule) for rule in settings.Rules], "Cameras": cameras}


def _with(settings: PipelineSettings, config: Editable) -> PipelineSettings:
    data = settings.model_dump(mode="json")
    data["Rules"] = config.get("Rules", [])
    for name, geometry in config.get("Cameras", {}).items():
        if name in data["Devices"]:
            data["Devices"][name].update(geometry)
    return PipelineSettings.model_validate(data)


def _parse_rule(body: Any) -> RuleSettings:
    try:
        return RuleSettings.model_validate(body)
    except ValidationError as exc:
        raise ConfigEditError(400, "invalid request: " + _problems(exc)) from exc


def _dump_rule(rule: RuleSettings) -> dict[str, Any]:
    dumped: dict[str, Any] = rule.model_dump(mode="json", exclude_defaults=True)
    dumped["Name"] = rule.Name
    return dumped


def _text(config: Editable) -> str:
    return json.dumps(config, separators=(",", ":"))


def _lines(config: Editable) -> list[str]:
    return [line + "\n" for line in json.dumps(config, indent=2, sort_keys=True).splitlines()]


def _problems(exc: ValidationError) -> str:
    """'Rules.0.Detection.MinScore: Input should be ...; ...': field paths, as REST names them."""
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or 'body'}: {error['msg']}"
        for error in exc.errors(include_url=False)
    )
