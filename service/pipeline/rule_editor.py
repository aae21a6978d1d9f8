"""Rules edited live: create, update, delete, every change a version, rollback to any version.

Each edit is validated as the configuration file is (RuleSettings, then the whole PipelineSettings
with the new rule list: zones on the rule's cameras, rule names the modes use, unique names), and a
rule's Model must already run on the cameras it watches (models per camera are fixed at start).
A valid edit is applied on the control thread (ControlLoop.apply_rules: kept rules keep their
active alerts and cooldowns) and stored in the state file as a new version with a diff, so it
survives a restart: at start the newest version's rules replace the file's (rules_at_start()).

Thread-safe (REST threads): edits are serialised by a lock.
"""

from __future__ import annotations

import difflib
import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from service.pipeline.rule_settings import RuleSettings
from service.pipeline.settings import PipelineSettings
from service.pipeline.state.state_store import StateStore

LOG = logging.getLogger(__name__)


class RuleEditError(ValueError):
    """An edit that cannot be made; `status` is the HTTP status REST answers with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class RuleVersion:
    """One stored version: its number, when, what changed, the rules, the diff from the one before."""

    version: int
    at_s: float
    change: str
    rules: tuple[RuleSettings, ...]
    diff: str


def rules_at_start(settings: PipelineSettings, state: StateStore) -> PipelineSettings:
    """The settings with the newest stored rule version's rules (the file's if none, or if that
    version no longer validates against the rest of the configuration: logged)."""
    rows = state.rule_versions()
    if not rows:
        return settings
    version, _, _, rules_json, _ = rows[-1]
    try:
        return _with_rules(settings, json.loads(rules_json))
    except (ValueError, ValidationError) as exc:
        LOG.warning("rule version %d no longer validates, using the file's rules: %s", version, exc)
        return settings


class RuleEditor:
    """The rule list of a running pipeline, edited one change at a time."""

    def __init__(
        self,
        settings: PipelineSettings,
        state: StateStore,
        apply: Callable[[Sequence[RuleSettings]], None],
        clock: Callable[[], float],
        models_for: Callable[[str], Sequence[str]] | None = None,
    ) -> None:
        self._settings = settings
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
        """A rule by name; 404 RuleEditError when there is none."""
        for rule in self._settings.Rules:
            if rule.Name == name:
                return rule
        raise RuleEditError(404, f"no rule {name}")

    def create(self, body: Any) -> RuleSettings:
        """Add a rule at the end (409 when the name is taken)."""
        with self._lock:
            rule = _parse(body)
            if any(r.Name == rule.Name for r in self._settings.Rules):
                raise RuleEditError(409, f"rule {rule.Name} exists; update it with PUT")
            self._commit([*self._rules_json(), _dump(rule)], f"create {rule.Name}")
            return rule

    def update(self, name: str, body: Any) -> RuleSettings:
        """Replace a rule, keeping its place (its Name must stay the same)."""
        with self._lock:
            self.get(name)
            rule = _parse(body)
            if rule.Name != name:
                raise RuleEditError(
                    400, f"invalid request: Name: {rule.Name!r} differs from the rule's name {name!r}"
                )
            rules = [_dump(rule) if r.Name == name else _dump(r) for r in self._settings.Rules]
            self._commit(rules, f"update {name}")
            return rule

    def delete(self, name: str) -> None:
        """Remove a rule (its active alerts end)."""
        with self._lock:
            self.get(name)
            self._commit([_dump(r) for r in self._settings.Rules if r.Name != name], f"delete {name}")

    def versions(self) -> list[RuleVersion]:
        """Every stored version, newest first."""
        return [
            RuleVersion(v, at, change, tuple(RuleSettings.model_validate(r) for r in json.loads(rules)), diff)
            for v, at, change, rules, diff in reversed(self._state.rule_versions())
        ]

    def rollback(self, version: int) -> RuleVersion:
        """Put the rules of an earlier version back (itself a new version)."""
        with self._lock:
            rows = {v: rules for v, _, _, rules, _ in self._state.rule_versions()}
            if version not in rows:
                raise RuleEditError(404, f"no rule version {version}")
            self._commit(json.loads(rows[version]), f"rollback to {version}")
            return self.versions()[0]

    def _rules_json(self) -> list[dict[str, Any]]:
        return [_dump(r) for r in self._settings.Rules]

    def _commit(self, rules: list[dict[str, Any]], change: str) -> None:
        try:
            settings = _with_rules(self._settings, rules)
        except ValidationError as exc:
            raise RuleEditError(400, "invalid request: " + _problems(exc)) from exc
        self._check_models(settings)
        before = self._rules_json()
        if not self._state.rule_versions():  # the file's rules become version 1, to roll back to
            self._state.add_rule_version(self._clock(), "the configuration file's rules", _text(before), "")
        self._apply(settings.Rules)
        self._settings = settings
        after = [_dump(r) for r in settings.Rules]
        diff = "".join(
            difflib.unified_diff(_lines(before), _lines(after), "rules (before)", f"rules ({change})", n=2)
        )
        version = self._state.add_rule_version(self._clock(), change, _text(after), diff)
        LOG.info("rules: %s (version %d)", change, version)

    def _check_models(self, settings: PipelineSettings) -> None:
        for rule in settings.Rules:
            if not rule.Model or not rule.Enabled:
                continue
            watched = [rule.Trigger.Camera] if rule.Trigger is not None else rule.Cameras
            for camera in watched or [n for n, d in settings.Devices.items() if d.Role == "camera"]:
                if rule.Model not in self._models_for(camera):
                    raise RuleEditError(
                        400,
                        f"invalid request: Model: {rule.Model!r} does not run on camera {camera} "
                        f"(add it to Devices.{camera}.Models and restart)",
                    )


def _parse(body: Any) -> RuleSettings:
    try:
        return RuleSettings.model_validate(body)
    except ValidationError as exc:
        raise RuleEditError(400, "invalid request: " + _problems(exc)) from exc


def _with_rules(settings: PipelineSettings, rules: list[dict[str, Any]]) -> PipelineSettings:
    data = settings.model_dump(mode="json")
    data["Rules"] = rules
    return PipelineSettings.model_validate(data)


def _dump(rule: RuleSettings) -> dict[str, Any]:
    dumped: dict[str, Any] = rule.model_dump(mode="json", exclude_defaults=True)
    dumped["Name"] = rule.Name
    return dumped


def _text(rules: list[dict[str, Any]]) -> str:
    return json.dumps(rules, separators=(",", ":"))


def _lines(rules: list[dict[str, Any]]) -> list[str]:
    return [line + "\n" for line in json.dumps(rules, indent=2, sort_keys=True).splitlines()]


def _problems(exc: ValidationError) -> str:
    """'Detection.MinScore: Input should be ...; ...': field paths, as REST names them."""
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or 'body'}: {error['msg']}"
        for error in exc.errors(include_url=False)
    )
