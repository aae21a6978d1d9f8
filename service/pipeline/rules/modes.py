"""The current mode: which rules are enabled now, and every switch (REST, schedule, sensor, start).

Thread-safe: the control thread asks enabled() for every rule it evaluates and feeds readings and
ticks; REST reads current() and calls switch(). Each switch is kept for the control thread to
publish (take_changes) and written to the state file through the ModeStore.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import asdict, dataclass
from typing import Literal, Protocol

from service.pipeline.errors import StateStoreError
from service.pipeline.mode_settings import ModeSettings
from service.pipeline.rules.hours import ActiveHours
from service.pipeline.state.records import SensorUpdate
from service.pipeline.state.state_store import StateStore

LOG = logging.getLogger(__name__)
ModeSource = Literal["start", "manual", "schedule", "sensor"]


@dataclass(frozen=True, slots=True)
class ModeState:
    """The mode in force, since when, and what switched to it."""

    mode: str
    since_s: float
    source: ModeSource
    previous: str = ""  # the mode before (a SensorMode returns to it)


class ModeStore(Protocol):
    """Where the mode survives a restart (the state file)."""

    def load_mode(self) -> ModeState | None: ...

    def save_mode(self, state: ModeState) -> None: ...


class StateFileModes:
    """A ModeStore in the pipeline's state file (key "mode")."""

    KEY = "mode"

    def __init__(self, state: StateStore) -> None:
        self._state = state

    def load_mode(self) -> ModeState | None:
        text = self._state.load_value(self.KEY)
        if text is None:
            return None
        try:
            data = json.loads(text)
            return ModeState(str(data["mode"]), float(data["since_s"]), data["source"], str(data["previous"]))
        except (ValueError, KeyError, TypeError) as exc:
            LOG.warning("stored mode is unreadable, starting from the configured one: %s", exc)
            return None

    def save_mode(self, state: ModeState) -> None:
        self._state.save_value(self.KEY, json.dumps(asdict(state)))


class UnknownMode(ValueError):
    """A switch to a mode that is not configured."""


class ModeKeeper:
    """The current mode of the configured Modes (with none configured, every rule is enabled)."""

    def __init__(self, settings: ModeSettings, store: ModeStore | None, now_s: float) -> None:
        self._settings = settings
        self._store = store
        self._moded = settings.moded_rules
        self._enabled = {mode: frozenset(rules) for mode, rules in settings.Modes.items()}
        self._schedule = [(ActiveHours([entry.Hours]), entry.Mode) for entry in settings.Schedule]
        self._lock = threading.Lock()
        self._changes: list[ModeState] = []
        self._span = self._scheduled(now_s)
        stored = store.load_mode() if store is not None and settings.Modes else None
        if stored is not None and stored.mode in settings.Modes:
            self._state = stored
        else:
            self._state = ModeState(self._span or settings.Default, now_s, "start")
            if settings.Modes:
                self._record(self._state)

    @property
    def configured(self) -> bool:
        """Whether any modes are configured."""
        return bool(self._settings.Modes)

    @property
    def modes(self) -> dict[str, list[str]]:
        """Mode name to the rules it enables."""
        return {mode: list(rules) for mode, rules in self._settings.Modes.items()}

    def current(self) -> ModeState:
        """The mode in force."""
        with self._lock:
            return self._state

    def enabled(self, rule: str) -> bool:
        """Whether the rule may evaluate now (always, for a rule no mode names)."""
        if rule not in self._moded:
            return True
        with self._lock:
            return rule in self._enabled[self._state.mode]

    def switch(self, mode: str, source: ModeSource, now_s: float) -> ModeState:
        """Switch to a configured mode; UnknownMode otherwise. Switching to the mode in force is kept
        as it is (no change recorded)."""
        if mode not in self._settings.Modes:
            known = ", ".join(self._settings.Modes) or "none configured"
            raise UnknownMode(f"unknown mode {mode!r}; modes: {known}")
        with self._lock:
            if mode == self._state.mode:
                return self._state
            self._state = ModeState(mode, now_s, source, self._state.mode)
            state = self._state
        LOG.info("mode %s (%s, was %s)", state.mode, source, state.previous)
        self._record(state)
        return state

    def on_sensor(self, update: SensorUpdate, now_s: float) -> None:
        """A reading takes a SensorMode's Value: switch to its mode; leaves it: back to the one before."""
        state = update.state
        for entry in self._settings.Sensors:
            if (entry.Device, entry.Resource) != (state.device, state.resource):
                continue
            holds = type(state.value) is type(entry.Value) and state.value == entry.Value
            current = self.current()
            if holds and current.mode != entry.Mode:
                self.switch(entry.Mode, "sensor", now_s)
            elif not holds and current.mode == entry.Mode and current.source == "sensor":
                self.switch(current.previous or self._settings.Default, "sensor", now_s)

    def tick(self, now_s: float) -> None:
        """Switch at the start and end of scheduled spans."""
        if not self._schedule:
            return
        span = self._scheduled(now_s)
        if span == self._span:
            return
        self._span = span
        self.switch(span or self._settings.Default, "schedule", now_s)

    def take_changes(self) -> list[ModeState]:
        """The switches since the last call, oldest first (to publish)."""
        with self._lock:
            changes, self._changes = self._changes, []
        return changes

    def _scheduled(self, now_s: float) -> str | None:
        return next((mode for hours, mode in self._schedule if hours.allows(now_s)), None)

    def _record(self, state: ModeState) -> None:
        with self._lock:
            self._changes.append(state)
        if self._store is not None:
            try:
                self._store.save_mode(state)
            except StateStoreError as exc:  # a full disk must not refuse a switch
                LOG.warning("mode %s not written to the state file: %s", state.mode, exc)
