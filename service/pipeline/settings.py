"""Strict configuration of the pipeline (AppCustom.Pipeline); rules live in rule_settings.py."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from service.pipeline.action_settings import ManualActionSettings, check_action_names
from service.pipeline.count_settings import CountingSettings, LineSettings
from service.pipeline.mode_settings import ModeSettings
from service.pipeline.rule_settings import UNRESERVED, RuleSettings
from service.streams.clip_store import ClipSettings
from service.streams.settings import StreamSettings
from service.strict import StrictModel

Point = tuple[float, float]
Polygon = list[Point]


def _check_counted_name(kind: str, name: str) -> None:
    """Zone and line names become part of an EdgeX device name (<camera>.<name>)."""
    if not UNRESERVED.match(name):
        raise ValueError(f"{kind} name {name!r} may use only letters, digits and . _ ~ -")


def _check_polygon(polygon: Polygon) -> Polygon:
    if len(polygon) < 3:
        raise ValueError("a polygon needs at least 3 points")
    for x, y in polygon:
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            raise ValueError(f"point ({x}, {y}) is outside the frame; use fractions 0..1 of width/height")
    return polygon


class MotionSettings(StrictModel):
    """Cheap frame differencing on a small grey frame, deciding whether a frame is worth a model run."""

    Enabled: bool = Field(default=True, description="Off: every frame is analysed.")
    WidthPx: int = Field(default=96, ge=16, le=640, description="Width of the grey frame compared.")
    PixelThreshold: int = Field(default=20, ge=1, le=255, description="Grey-level change that counts.")
    MinChangedPct: float = Field(default=0.5, gt=0, le=100, description="Changed share of the frame, %.")
    BackgroundAlpha: float = Field(default=0.3, gt=0, le=1, description="Running-average update weight.")


class TrackingSettings(StrictModel):
    """IoU tracker that gives detections stable ids, score history and a stationary flag."""

    MatchIou: float = Field(default=0.3, gt=0, lt=1, description="Min IoU to continue a track.")
    StationaryIou: float = Field(default=0.85, gt=0, lt=1, description="IoU with its anchor = not moved.")
    StationaryAfterS: float = Field(default=30, ge=0, le=86400, description="Still this long = stationary.")
    MaxMissedFrames: int = Field(default=5, ge=1, le=1000, description="Analysed frames without it...")
    MaxMissedS: float = Field(default=3, ge=0, le=3600, description="...and seconds unseen: track ends.")
    PredictMotion: bool = Field(default=True, description="Match against where a track's box is heading.")


class DeviceSettings(StrictModel):
    """A device's role; cameras may add models, a snapshot command, zones and motion masks."""

    Role: Literal["camera", "sensor", "actuator"] = Field(description="camera, sensor or actuator.")
    Models: list[str] = Field(default=[], description="Models run on its frames; [] = DefaultModel.")
    SnapshotCommand: str = Field(
        default="", description="core-command GET returning a Binary image/jpeg (e.g. ONVIF Snapshot)."
    )
    Zones: dict[str, Polygon] = Field(
        default={},
        description="Named polygons in frame fractions 0..1 (names: letters, digits and . _ ~ -).",
    )
    Lines: dict[str, LineSettings] = Field(
        default={},
        description=(
            "Named counting lines (names: letters, digits and . _ ~ -; not also a zone's): crossings "
            "are counted in and out."
        ),
    )
    MotionMasks: list[Polygon] = Field(default=[], description="Areas ignored by the motion gate.")
    Stream: StreamSettings | None = Field(
        default=None,
        description="Read the camera as a video stream (RTSP, MJPEG over HTTP, a file); null = bus frames.",
    )

    @field_validator("Zones")
    @classmethod
    def _check_zones(cls, zones: dict[str, Polygon]) -> dict[str, Polygon]:
        for name, polygon in zones.items():
            _check_counted_name("zone", name)
            _check_polygon(polygon)
        return zones

    @field_validator("Lines")
    @classmethod
    def _check_lines(cls, lines: dict[str, LineSettings]) -> dict[str, LineSettings]:
        for name in lines:
            _check_counted_name("line", name)
        return lines

    @field_validator("MotionMasks")
    @classmethod
    def _check_masks(cls, masks: list[Polygon]) -> list[Polygon]:
        for polygon in masks:
            _check_polygon(polygon)
        return masks

    @model_validator(mode="after")
    def _camera_fields_only_on_cameras(self) -> DeviceSettings:
        camera_only = self.Models or self.SnapshotCommand or self.Zones or self.Lines or self.MotionMasks
        if self.Role != "camera" and camera_only:
            raise ValueError("Models, SnapshotCommand, Zones, Lines and MotionMasks apply to cameras only")
        if self.Role != "camera" and self.Stream is not None:
            raise ValueError("Stream applies to cameras only")
        both = sorted(set(self.Zones) & set(self.Lines))
        if both:
            # Each becomes an analytics device <camera>.<name>: one name, one device.
            raise ValueError(f"{', '.join(both)}: a zone and a line may not share a name")
        return self


class OutboxSettings(StrictModel):
    """Durable SQLite outbox for result events, commands and notifications."""

    File: str = Field(default="outbox.sqlite", description="SQLite file, relative to the state directory.")
    MaxPending: int = Field(default=10000, ge=1, description="Then the oldest pending is dead-lettered.")
    MaxAttempts: int = Field(default=50, ge=1, description="Attempts before an action is dead-lettered.")
    BackoffInitialS: float = Field(default=0.5, gt=0, le=3600, description="First retry delay.")
    BackoffMaxS: float = Field(default=60, gt=0, le=86400, description="Retry delay cap (doubling).")
    KeepDelivered: int = Field(default=500, ge=0, description="Delivered rows kept for /api/v3/outbox.")
    KeepDead: int = Field(default=1000, ge=1, description="Dead letters kept.")


class SnapshotSettings(StrictModel):
    """Annotated JPEG snapshots kept on the box (state directory, sealed with AES-GCM) and served
    over REST."""

    Dir: str = Field(default="snapshots", description="Directory, relative to the state directory.")
    Quality: int = Field(default=85, ge=10, le=100, description="JPEG quality.")
    LatestEveryS: float = Field(default=1.0, ge=0, le=3600, description="Min interval of latest snapshots.")
    MaxFiles: int = Field(default=500, ge=1, description="Alert snapshots kept (oldest deleted).")
    MaxAgeS: float = Field(
        default=30 * 86400, gt=0, le=3660 * 86400, description="Alert snapshots older are deleted."
    )
    MaxBytes: int = Field(
        default=512 * 1024**2, ge=1024**2, description="Total size of alert snapshots (oldest go first)."
    )
    PruneEveryS: float = Field(default=300, ge=1, le=86400, description="Retention runs at least this often.")


class PrivacySettings(StrictModel):
    """Face blurring of every snapshot that is stored or leaves the box."""

    BlurFaces: bool = Field(default=False, description="Blur faces in snapshots.")
    FaceModel: str = Field(
        default="", description="Face model; people without a detected face get their head area blurred."
    )


class SimulatorSettings(StrictModel):
    """Simulated camera, PIR and light for the embedded default (memory bus)."""

    Enabled: bool = Field(default=False, description="Start the simulated devices.")
    Camera: str = Field(default="sim-camera", description="Camera device name.")
    Fps: float = Field(default=2, gt=0, le=60, description="Frames per second.")
    Photos: list[Literal["astronaut", "camera", "chelsea", "coffee"]] = Field(
        default=["astronaut", "coffee", "camera", "chelsea"], min_length=1, description="scikit-image photos."
    )
    PhotoS: float = Field(default=8, gt=0, le=3600, description="Seconds each photo is shown.")
    Pir: str = Field(default="sim-pir", description="PIR device name (Bool resource Motion).")
    PirEveryS: float = Field(default=6, gt=0, le=3600, description="PIR toggles this often.")
    Light: str = Field(default="sim-light", description="Light device name (set command Switch).")


class PipelineSettings(StrictModel):
    """AppCustom.Pipeline: devices, models, motion, rules, outbox, snapshots, privacy, simulator."""

    Devices: dict[str, DeviceSettings] = Field(default={}, description="Device name to role and settings.")
    DefaultModel: str = Field(default="person", description="Model for cameras without Models.")
    Motion: MotionSettings = Field(default_factory=MotionSettings, description="Motion gate.")
    Tracking: TrackingSettings = Field(default_factory=TrackingSettings, description="Object tracking.")
    Counting: CountingSettings = Field(
        default_factory=CountingSettings, description="Line crossings, zone occupancy and dwell."
    )
    Rules: list[RuleSettings] = Field(default=[], description="Rules, evaluated in order.")
    Modes: ModeSettings = Field(default_factory=ModeSettings, description="Modes: which rules are on.")
    ManualActions: dict[str, ManualActionSettings] = Field(
        default={}, description="Device commands started by hand (page, REST): name to command."
    )
    Outbox: OutboxSettings = Field(default_factory=OutboxSettings, description="Durable outbox.")
    Snapshots: SnapshotSettings = Field(default_factory=SnapshotSettings, description="Snapshots.")
    Clips: ClipSettings = Field(default_factory=ClipSettings, description="Alert clips kept on the box.")
    Privacy: PrivacySettings = Field(default_factory=PrivacySettings, description="Privacy.")
    Simulator: SimulatorSettings = Field(default_factory=SimulatorSettings, description="Simulator.")
    MaxFrameAgeS: float = Field(default=2.0, gt=0, le=3600, description="Older frames are skipped (counted).")
    HeartbeatS: float = Field(default=10, gt=0, le=86400, description="Analyse at least this often.")
    Workers: int = Field(default=4, ge=1, le=64, description="Frames analysed at once across cameras.")
    DecodeReduced: bool = Field(default=True, description="Decode JPEGs at 1/2, 1/4, 1/8 for small models.")
    RecentAlerts: int = Field(default=200, ge=1, le=100000, description="Ended alerts kept for REST.")
    StateFile: str = Field(
        default="state.sqlite",
        min_length=1,
        description="SQLite file of alerts and sensor states, relative to the state directory.",
    )
    ResultSource: str = Field(default="Alert", min_length=1, description="sourceName of result events.")
    StateDir: str = Field(
        default="var",
        min_length=1,
        description="Outbox, alerts and snapshots live here (relative to the CWD).",
    )

    @field_validator("ManualActions")
    @classmethod
    def _check_actions(cls, actions: dict[str, ManualActionSettings]) -> dict[str, ManualActionSettings]:
        return check_action_names(actions)

    @model_validator(mode="after")
    def _check_references(self) -> PipelineSettings:
        names = [rule.Name for rule in self.Rules]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"duplicate rule names: {', '.join(duplicates)}")
        for rule in self.Rules:
            self._check_rule_zones(rule)
        unknown = sorted(self.Modes.moded_rules - set(names))
        if unknown:
            raise ValueError(f"Modes name unknown rule(s): {', '.join(unknown)}")
        return self

    def _check_rule_zones(self, rule: RuleSettings) -> None:
        zones = rule.Detection.Zones if rule.Detection is not None else []
        if not zones:
            return
        cameras = rule.Cameras or ([rule.Trigger.Camera] if rule.Trigger else [])
        if not cameras:
            cameras = [name for name, dev in self.Devices.items() if dev.Role == "camera" and dev.Zones]
        for camera in cameras:
            known = self.Devices[camera].Zones if camera in self.Devices else {}
            missing = [zone for zone in zones if zone not in known]
            if missing:
                raise ValueError(f"rule {rule.Name}: camera {camera} has no zone {', '.join(missing)}")
        if not cameras:
            raise ValueError(f"rule {rule.Name}: zones {', '.join(zones)} are defined on no camera")

    def models_for(self, camera: str) -> tuple[str, ...]:
        """Models run on a camera's frames: its Models (else DefaultModel; unknown devices too),
        plus the Model of every enabled rule that watches the camera."""
        device = self.Devices.get(camera)
        names = list(device.Models) if device is not None and device.Models else [self.DefaultModel]
        for rule in self.Rules:
            watched = [rule.Trigger.Camera] if rule.Trigger is not None else rule.Cameras
            if rule.Enabled and rule.Model and (not watched or camera in watched):
                names.append(rule.Model)
        return tuple(dict.fromkeys(names))

    def role_of(self, device: str) -> Literal["camera", "sensor", "actuator", "unknown"]:
        """A device's configured role, or 'unknown'."""
        settings = self.Devices.get(device)
        return settings.Role if settings is not None else "unknown"
