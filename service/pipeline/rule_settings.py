"""Strict configuration of one rule (AppCustom.Pipeline.Rules[i]); see docs in each Field."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from service.strict import StrictModel

# RFC 3986 unreserved characters: what support-notifications accepts in category, labels and sender.
UNRESERVED = re.compile(r"^[A-Za-z0-9._~-]+$")
HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
SensorValue = bool | int | float | str
SeverityName = Literal["MINOR", "NORMAL", "CRITICAL"]


def _unreserved(value: str) -> str:
    if not UNRESERVED.match(value):
        raise ValueError(f"{value!r} may use only letters, digits and . _ ~ -")
    return value


class DetectionCondition(StrictModel):
    """What a frame's detections must show for the rule to match (Frigate-style object filters)."""

    Labels: list[str] = Field(default=["person"], min_length=1, description="Labels that count.")
    MinScore: float = Field(default=0.5, ge=0, le=1, description="Detections below this are discarded.")
    MedianScore: float = Field(
        default=0.0, ge=0, le=1, description="Threshold on the median of the tracked object's last scores."
    )
    MedianOf: int = Field(default=3, ge=1, le=100, description="How many recent scores the median uses.")
    MinAreaPx: float = Field(default=0, ge=0, description="Smallest box area in source pixels.")
    MaxAreaPx: float = Field(default=0, ge=0, description="Largest box area in source pixels; 0 = no limit.")
    MinAreaPct: float = Field(default=0, ge=0, le=100, description="Smallest box area, % of the frame.")
    MaxAreaPct: float = Field(default=100, gt=0, le=100, description="Largest box area, % of the frame.")
    Zones: list[str] = Field(default=[], description="Zones holding the box bottom centre; [] = anywhere.")
    MinCount: int = Field(default=1, ge=1, le=1000, description="How many matching objects are needed.")
    PersistFrames: int = Field(default=1, ge=1, le=1000, description="Matched in K of the last M frames: K.")
    PersistOutOf: int = Field(default=1, ge=1, le=1000, description="Matched in K of the last M frames: M.")
    PersistS: float = Field(default=0, ge=0, le=3600, description="Matched continuously for T seconds.")
    IncludeStationary: bool = Field(
        default=False, description="Let objects that stopped moving start a new alert (Frigate re-alert fix)."
    )

    @model_validator(mode="after")
    def _check_bounds(self) -> DetectionCondition:
        if self.PersistFrames > self.PersistOutOf:
            raise ValueError("PersistFrames must not exceed PersistOutOf")
        if self.MaxAreaPx and self.MaxAreaPx < self.MinAreaPx:
            raise ValueError("MaxAreaPx must be 0 (no limit) or >= MinAreaPx")
        if self.MaxAreaPct < self.MinAreaPct:
            raise ValueError("MaxAreaPct must be >= MinAreaPct")
        return self


class SensorCondition(StrictModel):
    """A test on the sensor-state table: a comparison, a Bool edge, or 'active within the last T s'."""

    Device: str = Field(min_length=1, description="Sensor device name.")
    Resource: str = Field(min_length=1, description="Resource (reading) name.")
    Op: Literal["eq", "ne", "gt", "ge", "lt", "le", "rising", "falling", "active_within"] = Field(
        description="Comparison with Value; rising/falling edge; truthy at any time within WithinS."
    )
    Value: SensorValue | None = Field(default=None, description="Right-hand side of eq..le.")
    WithinS: float = Field(
        default=0, ge=0, le=86400, description="Edge or activity window; 0 for an edge = this very reading."
    )
    ForS: float = Field(
        default=0,
        ge=0,
        le=86400,
        description=(
            "A comparison must have held this long without a break (e.g. occupancy > 5 for 60 s); "
            "the rule is then also evaluated as time passes, not only on readings."
        ),
    )

    @model_validator(mode="after")
    def _check_value(self) -> SensorCondition:
        comparison = self.Op in {"eq", "ne", "gt", "ge", "lt", "le"}
        if self.ForS > 0 and not comparison:
            raise ValueError(f"ForS applies to comparisons (eq..le), not to Op {self.Op}")
        if comparison and self.Value is None:
            raise ValueError(f"Op {self.Op} needs a Value")
        if not comparison and self.Value is not None:
            raise ValueError(f"Op {self.Op} takes no Value")
        if self.Op == "active_within" and self.WithinS <= 0:
            raise ValueError("Op active_within needs WithinS > 0")
        return self


class FusionTrigger(StrictModel):
    """A sensor edge that opens a window on a camera: 'door opened and a person (not) seen within 10 s'."""

    Device: str = Field(min_length=1, description="Sensor device whose edge opens the window.")
    Resource: str = Field(min_length=1, description="Its Bool resource.")
    Edge: Literal["rising", "falling"] = Field(default="rising", description="Which Bool edge.")
    Camera: str = Field(min_length=1, description="Camera that must (not) see the detection.")
    WindowS: float = Field(default=10, gt=0, le=3600, description="Window length after the edge.")
    Expect: Literal["seen", "absent"] = Field(
        default="seen", description="seen: alert when it is seen; absent: alert when the window closes empty."
    )
    RequestFrame: bool = Field(
        default=True, description="Ask the camera for a frame at once (core-command snapshot or next frame)."
    )


class HoursSpan(StrictModel):
    """A local-time span (may cross midnight) on the given weekdays."""

    Start: str = Field(default="00:00", description="HH:MM, inclusive.")
    End: str = Field(default="24:00", description="HH:MM, exclusive; 24:00 = end of day.")
    Days: list[Weekday] = Field(
        default=["mon", "tue", "wed", "thu", "fri", "sat", "sun"], min_length=1, description="Weekdays."
    )

    @field_validator("Start", "End")
    @classmethod
    def _check_time(cls, value: str) -> str:
        if value != "24:00" and not HHMM.match(value):
            raise ValueError(f"{value!r} is not HH:MM")
        return value


class CommandAction(StrictModel):
    """A core-command set command sent when an alert starts (e.g. switch a light on)."""

    Device: str = Field(min_length=1, description="Actuator device name.")
    Command: str = Field(min_length=1, description="Command name in its profile.")
    Body: dict[str, str | dict[str, str]] = Field(
        min_length=1, description="Resource name to value (strings, as EdgeX expects)."
    )


class NotificationAction(StrictModel):
    """A support-notifications notification sent when an alert starts."""

    Category: str = Field(default="app-vision", description="Notification category.")
    Labels: list[str] = Field(default=[], description="Extra labels (rule, camera and label are added).")
    Severity: SeverityName | None = Field(default=None, description="Overrides the rule's severity.")

    @field_validator("Category")
    @classmethod
    def _check_category(cls, value: str) -> str:
        return _unreserved(value)

    @field_validator("Labels")
    @classmethod
    def _check_labels(cls, value: list[str]) -> list[str]:
        return [_unreserved(label) for label in value]


class RuleActions(StrictModel):
    """What an alert of the rule does; images leave the box only with AttachSnapshot."""

    ResultEvent: bool = Field(default=True, description="Publish app-vision-result events (new/update/end).")
    AttachSnapshot: bool = Field(default=False, description="Add the annotated JPEG to the new-alert event.")
    Snapshot: bool = Field(default=True, description="Keep an annotated snapshot on the box.")
    Command: CommandAction | None = Field(default=None, description="Device command on a new alert.")
    Notification: NotificationAction | None = Field(default=None, description="Notification on a new alert.")


class RuleSettings(StrictModel):
    """One rule: a detection rule, a sensor rule, or a fusion rule (Trigger + Detection)."""

    Name: str = Field(min_length=1, description="Unique rule name (letters, digits, . _ ~ -).")
    Enabled: bool = Field(default=True, description="Disabled rules are ignored.")
    Cameras: list[str] = Field(
        default=[],
        description=(
            "Cameras the rule watches; [] = every camera. A sensor rule may name one: its alerts "
            "are that camera's (snapshot included)."
        ),
    )
    Model: str = Field(default="", description="Only this model's detections; '' = any model.")
    Detection: DetectionCondition | None = Field(default=None, description="Detection condition.")
    Sensors: list[SensorCondition] = Field(default=[], description="All must hold as well.")
    Trigger: FusionTrigger | None = Field(default=None, description="Sensor edge that opens a window.")
    ActiveHours: list[HoursSpan] = Field(default=[], description="When the rule may alert; [] = always.")
    CooldownS: float = Field(default=30, ge=0, le=86400, description="Min seconds between two new alerts.")
    EndAfterS: float = Field(default=30, gt=0, le=86400, description="Alert ends after this long unmatched.")
    UpdateEveryS: float = Field(default=5, gt=0, le=86400, description="Min seconds between update events.")
    Severity: SeverityName = Field(default="NORMAL", description="MINOR, NORMAL or CRITICAL.")
    Actions: RuleActions = Field(default_factory=RuleActions, description="What an alert does.")

    @field_validator("Name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        return _unreserved(value)

    @model_validator(mode="after")
    def _check_kind(self) -> RuleSettings:
        if self.Detection is None and not self.Sensors and self.Trigger is None:
            raise ValueError(f"rule {self.Name}: needs Detection, Sensors or Trigger")
        if self.Trigger is not None and self.Detection is None:
            raise ValueError(f"rule {self.Name}: a Trigger needs a Detection condition")
        if self.Trigger is not None and self.Cameras and self.Cameras != [self.Trigger.Camera]:
            raise ValueError(f"rule {self.Name}: Cameras must be empty or [Trigger.Camera]")
        if self.kind == "sensor" and len(self.Cameras) > 1:
            # A sensor rule's alert belongs to one camera at most (its snapshot, its lane).
            raise ValueError(f"rule {self.Name}: a sensor rule names at most one camera")
        instant = [c for c in self.Sensors if c.Op in {"rising", "falling"} and c.WithinS == 0]
        if instant and self.Detection is not None:
            # Detection and fusion rules are evaluated on frames, never on the reading itself.
            raise ValueError(
                f"rule {self.Name}: a {instant[0].Op} edge on {instant[0].Device}/{instant[0].Resource} "
                "needs WithinS > 0 in a rule with a Detection condition"
            )
        return self

    @property
    def kind(self) -> Literal["detection", "sensor", "fusion"]:
        """Which evaluation path the rule takes."""
        if self.Trigger is not None:
            return "fusion"
        return "detection" if self.Detection is not None else "sensor"
