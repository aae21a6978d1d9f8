"""The wire form of an alert and its detections: the fields result events and REST share.

Both the result event's Alert/Detection readings (actions.payloads) and REST's alerts and cameras
(api.vision_routes) extend these models, so a field is named, rounded and timed in one place.
Names are camelCase as on the wire; times are nanoseconds since the epoch, like EdgeX `origin`.
"""

from __future__ import annotations

from typing import overload

from pydantic import BaseModel, ConfigDict, Field

from service.pipeline.analysis.sighting import Sighting
from service.pipeline.state.records import Alert


@overload
def ns(seconds: float) -> int: ...
@overload
def ns(seconds: None) -> None: ...
def ns(seconds: float | None) -> int | None:
    """Seconds since the epoch -> integer nanoseconds (None stays None)."""
    return None if seconds is None else round(seconds * 1e9)


@overload
def latency_ms(seconds: float) -> float: ...
@overload
def latency_ms(seconds: None) -> None: ...
def latency_ms(seconds: float | None) -> float | None:
    """A duration in seconds -> milliseconds to 0.01 ms (None stays None)."""
    return None if seconds is None else round(seconds * 1000, 2)


class WireModel(BaseModel):
    """Base of the wire models: immutable, and unknown keys are errors when one is read back."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class WireDetection(WireModel):
    """One tracked detection."""

    label: str = Field(description="Class label.")
    score: float = Field(description="Confidence, to 4 decimals.")
    box: tuple[float, ...] = Field(description="[x1, y1, x2, y2] in source pixels, to 0.1 px.")
    zones: tuple[str, ...] = Field(description="Zones the box is in.")
    model: str = Field(description="Model that detected it.")
    trackId: int = Field(description="Tracker id, stable while the object stays in view.")
    stationary: bool = Field(description="The object has not moved for a while.")


class WireAlert(WireModel):
    """One alert of a rule on a camera."""

    alertId: str = Field(description="Alert id (UUID).")
    rule: str = Field(description="Rule that raised it.")
    camera: str = Field(description="Camera ('' for sensor rules).")
    severity: str = Field(description="MINOR, NORMAL or CRITICAL.")
    model: str = Field(description="Model of the rule's detections ('' for sensor rules).")
    summary: str = Field(description="One line for people.")
    startedAt: int = Field(description="Start, ns since the epoch.")
    updatedAt: int = Field(description="Last change, ns since the epoch.")
    endedAt: int | None = Field(description="End, ns since the epoch (null while active).")
    updates: int = Field(description="Updates since the start.")
    latencyMs: float | None = Field(description="Latency (frame origin to result) of the last change.")
    clipUrl: str = Field(
        default="",
        description=(
            "The alert's MP4 clip on this service (written once its post-roll has passed); '' = none. "
            "The clip itself stays on the box."
        ),
    )


def wire_detection(sighting: Sighting) -> WireDetection:
    """The shared fields of one sighting (an extension adds its own: `Ext(**wire.model_dump(), ...)`)."""
    return WireDetection(
        label=sighting.label,
        score=round(sighting.score, 4),
        box=tuple(round(v, 1) for v in sighting.box),
        zones=sighting.zones,
        model=sighting.model,
        trackId=sighting.track_id,
        stationary=sighting.stationary,
    )


def wire_alert(alert: Alert) -> WireAlert:
    """The shared fields of one alert (an extension adds its own: `Ext(**wire.model_dump(), ...)`)."""
    return WireAlert(
        alertId=alert.alert_id,
        rule=alert.rule,
        camera=alert.camera,
        severity=alert.severity,
        model=alert.model,
        summary=alert.summary,
        startedAt=ns(alert.started_s),
        updatedAt=ns(alert.updated_s),
        endedAt=ns(alert.ended_s),
        updates=alert.updates,
        latencyMs=latency_ms(alert.latency_s),
        clipUrl=clip_url(alert.alert_id) if alert.clip else "",
    )


def clip_url(alert_id: str) -> str:
    """Where REST serves an alert's clip (service.api.clip_routes)."""
    return f"/api/v3/alerts/{alert_id}/clip.mp4"
