"""The records the pipeline keeps: alerts and their lifecycle changes, action outcomes, sensor states."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from service.pipeline.analysis.sighting import FrameView, Sighting
from service.pipeline.ingest.sensor_reading import SensorValue

Transition = Literal["new", "update", "end"]


@dataclass(frozen=True, slots=True)
class ActionOutcome:
    """Latest known state of one action of an alert (kept on the alert for REST and the UI)."""

    key: str  # the outbox idempotency key
    kind: str  # event, command, notification
    outcome: Literal["queued", "delivered", "retrying", "dead"]
    attempts: int
    latency_ms: float | None  # duration of the successful (or last) attempt
    detail: str
    at_s: float


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert of a rule on a camera ('' for sensor rules)."""

    alert_id: str
    rule: str
    camera: str
    severity: str
    model: str
    summary: str
    state: Literal["active", "ended"]
    started_s: float
    updated_s: float
    last_match_s: float
    updates: int = 0
    ended_s: float | None = None
    sightings: tuple[Sighting, ...] = ()
    latency_s: float | None = None  # frame-to-result latency of the frame that caused the last change
    snapshot: str = ""  # file name under the snapshot directory
    actions: tuple[ActionOutcome, ...] = ()
    clip: str = ""  # the clip asked for this alert (state/alert_clips.py); '' = none


@dataclass(frozen=True, slots=True)
class AlertChange:
    """A lifecycle transition produced by the rule engine."""

    transition: Transition
    alert: Alert
    frame: FrameView | None  # the frame that caused it (None for sensor, window and quiet-period changes)
    sequence: int  # 0 for new, 1.. for updates, then the end: unique per alert, used in idempotency keys


@dataclass(frozen=True, slots=True)
class StoredAlert:
    """An active alert read back from disk, and the sequence its next change takes."""

    alert: Alert
    next_sequence: int


Edge = Literal["rising", "falling"]


@dataclass(frozen=True, slots=True)
class SensorState:
    """What the table knows of one (device, resource)."""

    device: str
    resource: str
    value_type: str
    value: SensorValue | None
    origin_ns: int
    updated_s: float
    last_true_s: float | None = None  # last time the value was truthy
    last_rising_s: float | None = None
    last_falling_s: float | None = None


@dataclass(frozen=True, slots=True)
class SensorUpdate:
    """The result of applying a reading: the new state and the Bool edge it made, if any."""

    state: SensorState
    edge: Edge | None
    applied: bool  # False when the reading was older than the stored one (kept out of the table)
