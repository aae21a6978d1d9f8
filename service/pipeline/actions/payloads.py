"""Outbox payloads: what one row of each kind stores, as JSON text (OutboxItem.payload).

    event         EventPayload         the result event's readings (ResultAlert, ResultDetection)
    command       CommandPayload       a core-command set
    notification  NotificationPayload  a support-notifications notification
    analytics     CountPayload         a zone's or line's counts (count_event.py)
    mode          ModePayload          a mode switch (mode_event.py)
    health        HealthPayload        a stream camera's health change (health_event.py)

Keys are the ones the rows have always had, so a row written by an earlier version still reads
(key order and spacing are not part of the format). A row that does not read is corrupt: the
reader raises PermanentActionError, and the outbox dead-letters it.
"""

from __future__ import annotations

from typing import Literal, TypeVar

from pydantic import Field, ValidationError

from service.edgex.dtos import JsonValue
from service.pipeline.errors import PermanentActionError
from service.pipeline.state.alert_wire import WireAlert, WireDetection, WireModel
from service.pipeline.state.records import Transition


class ResultDetection(WireDetection):
    """A Detection reading's objectValue: the detection plus its alert's context."""

    zone: str = Field(description="First of `zones` ('' when none).")
    camera: str = Field(description="Camera of the alert.")
    alertId: str = Field(description="Alert id.")
    rule: str = Field(description="Rule of the alert.")
    latencyMs: float | None = Field(description="Frame-to-result latency of the alert's last change.")


class ResultAlert(WireAlert):
    """The Alert reading's objectValue."""

    state: Transition = Field(description="The change this event reports: new, update or end.")
    sequence: int = Field(description="0 for new, 1.. for updates, then the end.")
    detectionCount: int = Field(description="Detections the alert holds.")
    frameEventId: str = Field(description="Id of the frame event behind the change ('' when none).")
    frameOrigin: int | None = Field(description="Origin (ns) of that frame (null when none).")


class EventPayload(WireModel):
    """A result event: its readings' content, without ids (each publish attempt gets fresh ones)."""

    source: str = Field(description="The event's sourceName.")
    state: Transition = Field(description="The AlertState reading.")
    alert: ResultAlert = Field(description="The Alert reading.")
    detections: tuple[ResultDetection, ...] = Field(description="One Detection reading each.")
    snapshot: str = Field(description="Snapshot file to attach as the Snapshot reading ('' for none).")
    correlationId: str = Field(
        default="", description="Correlation id of the message whose frame caused the change ('' for none)."
    )


class CommandPayload(WireModel):
    """A core-command set command."""

    device: str = Field(description="Device name.")
    command: str = Field(description="Command name.")
    body: dict[str, str | dict[str, str]] = Field(description="Resource name to value.")

    def settings(self) -> dict[str, JsonValue]:
        """The body as CommandClient.set takes it (a fresh copy)."""
        settings: dict[str, JsonValue] = {}
        for resource, value in self.body.items():
            settings[resource] = dict(value) if isinstance(value, dict) else value
        return settings


class NotificationPayload(WireModel):
    """A support-notifications notification."""

    category: str = Field(description="Notification category.")
    labels: tuple[str, ...] = Field(description="Labels: rule, camera, configured ones, detected labels.")
    severity: str = Field(description="MINOR, NORMAL or CRITICAL (anything else is sent as NORMAL).")
    content: str = Field(description="The alert's summary.")
    description: str = Field(description="Names the alert and its rule.")
    requestId: str = Field(description="Derived from the idempotency key: a resend is recognisable.")


class CountNumber(WireModel):
    """A numeric reading."""

    resource: str = Field(description="Resource name in the profile.")
    valueType: Literal["Int64", "Float64"] = Field(description="Int64 for counts, Float64 for seconds.")
    value: int | float = Field(description="The value.")


class CountObject(WireModel):
    """An Object reading: one crossing, entry or exit."""

    resource: Literal["Crossing", "ZoneEntry", "ZoneExit"] = Field(description="Resource name.")
    value: dict[str, str | int | float] = Field(description="Its objectValue.")


class CountPayload(WireModel):
    """One analytics event's content, without ids."""

    device: str = Field(description="<camera>.<zone or line name>.")
    source: Literal["ZoneCounts", "LineCounts"] = Field(description="The event's sourceName.")
    origin: int = Field(description="When the counts were taken (ns); every reading's origin.")
    numbers: tuple[CountNumber, ...] = Field(description="Numeric readings, in profile order.")
    objects: tuple[CountObject, ...] = Field(default=(), description="Events since the last publish.")


class HealthPayload(WireModel):
    """One camera health event's content, without ids (the reasons and errors are redacted)."""

    camera: str = Field(description="The camera: the event's deviceName.")
    origin: int = Field(description="When the state changed (ns); every reading's origin.")
    state: Literal["connecting", "online", "stalled", "offline"] = Field(description="StreamState.")
    reason: str = Field(description="Why the state changed.")
    framesIn: int = Field(description="Video packets demuxed since start.")
    framesDecoded: int = Field(description="Frames decoded since start.")
    framesAnalysed: int = Field(description="Frames of the camera analysed since start.")
    reconnects: int = Field(description="Reconnect attempts since start.")
    lastError: str = Field(description="The last error ('' when none).")


class ModePayload(WireModel):
    """One mode switch: the mode now, the one before, and what switched it."""

    mode: str = Field(description="The mode in force.")
    previous: str = Field(description="The mode before ('' at first start).")
    source: Literal["start", "manual", "schedule", "sensor"] = Field(description="What switched it.")
    origin: int = Field(description="When it switched (ns); every reading's origin.")


ActionPayload = (
    EventPayload | CommandPayload | NotificationPayload | CountPayload | HealthPayload | ModePayload
)
P = TypeVar("P", EventPayload, CommandPayload, NotificationPayload, CountPayload, HealthPayload, ModePayload)


def write_payload(payload: ActionPayload) -> str:
    """The JSON text an outbox row stores (optional fields left at their default are left out, so a
    row without them is what earlier versions wrote)."""
    return payload.model_dump_json(exclude_defaults=True)


def read_payload(model: type[P], text: str) -> P:
    """An outbox row's payload; raises PermanentActionError when it does not read as `model`."""
    try:
        return model.model_validate_json(text)
    except ValidationError as exc:
        raise PermanentActionError(f"corrupt outbox payload: {_reasons(exc)}") from exc


def _reasons(exc: ValidationError) -> str:
    """'body: Field required; ...': one line for the outbox's last_error."""
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or 'payload'}: {error['msg']}"
        for error in exc.errors(include_url=False)
    )
