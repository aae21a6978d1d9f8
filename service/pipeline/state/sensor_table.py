"""Sensor-state table: (device, resource) -> latest typed value, its origin, and Bool edge history."""

from __future__ import annotations

import logging
import threading
from dataclasses import replace

from service.pipeline.errors import StateStoreError
from service.pipeline.ingest.sensor_reading import SensorReading, SensorValue
from service.pipeline.state.records import Edge, SensorState, SensorUpdate
from service.pipeline.state.state_store import StateStore

LOG = logging.getLogger(__name__)


def _truthy(value: SensorValue | None) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in {"", "false", "0", "off", "no"}
    return bool(value)


def _edge(before: SensorState | None, value: SensorValue | None) -> Edge | None:
    if not isinstance(value, bool):
        return None
    was = bool(before.value) if before is not None and isinstance(before.value, bool) else False
    if value and not was:
        return "rising"
    if was and not value:
        return "falling"
    return None


class SensorTable:
    """Thread-safe table; apply() from the rules thread, snapshot() from REST. With a store it starts
    from the stored states, and flush() writes those changed since the last flush."""

    def __init__(self, store: StateStore | None = None) -> None:
        self._states: dict[tuple[str, str], SensorState] = {}
        self._lock = threading.Lock()
        self._store = store
        self._changed: set[tuple[str, str]] = set()
        if store is not None:
            self._states.update(
                ((state.device, state.resource), state) for state in store.load_sensor_states()
            )

    def flush(self) -> None:
        """Write the states changed since the last flush to the store (if any); a failed write is
        logged, and those states are written again with their next change."""
        if self._store is None:
            return
        with self._lock:
            changed = [self._states[key] for key in self._changed]
            self._changed.clear()
        if not changed:
            return
        try:
            self._store.save_sensor_states(changed)
        except StateStoreError as exc:
            LOG.warning("%s (kept in memory)", exc)

    def apply(self, reading: SensorReading) -> SensorUpdate:
        """Store a reading (unless older than the stored one) and report its Bool edge."""
        key = (reading.device, reading.resource)
        with self._lock:
            before = self._states.get(key)
            if before is not None and reading.origin_ns < before.origin_ns:
                return SensorUpdate(before, None, applied=False)
            edge = _edge(before, reading.value)
            now = reading.received_s
            state = SensorState(
                reading.device,
                reading.resource,
                reading.value_type,
                reading.value,
                reading.origin_ns,
                now,
                last_true_s=now if _truthy(reading.value) else (before.last_true_s if before else None),
                last_rising_s=before.last_rising_s if before else None,
                last_falling_s=before.last_falling_s if before else None,
            )
            if edge == "rising":
                state = replace(state, last_rising_s=now)
            elif edge == "falling":
                state = replace(state, last_falling_s=now)
            self._states[key] = state
            if self._store is not None:
                self._changed.add(key)
            return SensorUpdate(state, edge, applied=True)

    def get(self, device: str, resource: str) -> SensorState | None:
        """The stored state, or None."""
        with self._lock:
            return self._states.get((device, resource))

    def snapshot(self) -> list[SensorState]:
        """Every stored state, sorted by device then resource."""
        with self._lock:
            return [self._states[key] for key in sorted(self._states)]

    def is_active_within(self, device: str, resource: str, window_s: float, now_s: float) -> bool:
        """Truthy now, or truthy at some time within the last window_s seconds."""
        state = self.get(device, resource)
        if state is None:
            return False
        if _truthy(state.value):
            return True
        return state.last_true_s is not None and now_s - state.last_true_s <= window_s
