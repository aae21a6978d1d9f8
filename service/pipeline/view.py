"""The read-only view of a running pipeline: what REST (service.api.vision_routes) and the UI show."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from service.pipeline.action_settings import ManualActionSettings
from service.pipeline.actions.manual import ManualRun
from service.pipeline.actions.outbox import OutboxItem, State
from service.pipeline.analytics import CameraCounts
from service.pipeline.cameras.status import CameraStatus
from service.pipeline.parts import Parts
from service.pipeline.rules.modes import ModeState
from service.pipeline.state.records import Alert, SensorState


class PipelineView:
    """Implements service.api.vision_routes.VisionView; every method is a thread-safe read."""

    def __init__(self, parts: Parts) -> None:
        self._parts = parts

    def active_alerts(self) -> list[Alert]:
        """Active alerts, oldest first."""
        return self._parts.alerts.active()

    def recent_alerts(self) -> list[Alert]:
        """Ended alerts, newest first."""
        return self._parts.alerts.recent()

    def alert(self, alert_id: str) -> Alert | None:
        """One alert."""
        return self._parts.alerts.get(alert_id)

    def cameras(self) -> list[CameraStatus]:
        """Configured cameras and every device that sent a frame."""
        parts = self._parts
        configured = {n for n, d in parts.settings.Devices.items() if d.Role == "camera"}
        seen = {camera.name for camera in parts.cameras.cameras() if camera.counters.received}
        now = parts.clock()
        rows = [parts.cameras.status(name, now) for name in sorted(configured | seen)]
        return [replace(row, stream=parts.streams.health(row.name)) for row in rows]

    def drops(self, camera: str) -> dict[str, int]:
        """Frames of a camera not analysed, by reason (the slot's own count)."""
        state = self._parts.cameras.get(camera)
        return self._parts.cameras.slots.drops(state) if state is not None else {}

    def latest_snapshot(self, camera: str) -> bytes | None:
        """The camera's latest annotated JPEG."""
        state = self._parts.cameras.get(camera)
        latest = state.latest if state is not None else None
        return latest.jpeg if latest is not None else None

    def alert_snapshot(self, alert_id: str) -> bytes | None:
        """The JPEG kept for an alert."""
        alert = self._parts.alerts.get(alert_id)
        return self._parts.snapshots.read(alert.snapshot) if alert is not None and alert.snapshot else None

    def alert_clip(self, alert_id: str) -> Path | None:
        """The MP4 clip written for an alert, or None (none asked, not written yet, or pruned)."""
        return self._parts.clips.path(alert_id)

    def outbox_counts(self) -> dict[State, int]:
        """Outbox rows per state."""
        return self._parts.outbox.counts()

    def outbox_items(self, state: State, limit: int) -> list[OutboxItem]:
        """Outbox rows of a state, newest first."""
        return self._parts.outbox.items(state, limit)

    def sensor_states(self) -> list[SensorState]:
        """The sensor-state table."""
        return self._parts.sensors.snapshot()

    def counts(self) -> dict[str, CameraCounts]:
        """The latest line and zone counts of every counting camera, by name."""
        return self._parts.cameras.counts()

    def mode(self) -> ModeState | None:
        """The mode in force, or None without modes."""
        keeper = self._parts.control.modes
        return keeper.current() if keeper.configured else None

    def modes(self) -> dict[str, list[str]]:
        """Mode name to the rules it enables."""
        return self._parts.control.modes.modes

    def switch_mode(self, mode: str) -> ModeState:
        """Switch now (UnknownMode for a mode not configured)."""
        return self._parts.control.modes.switch(mode, "manual", self._parts.clock())

    def manual_actions(self) -> dict[str, ManualActionSettings]:
        """The configured manual actions by name."""
        return self._parts.manual.actions

    def run_action(self, name: str, by: str = "") -> ManualRun:
        """Queue a manual action now (UnknownAction for a name not configured)."""
        return self._parts.manual.run(name, by)

    def action_history(self) -> list[ManualRun]:
        """Manual runs, newest first, with each command's latest outcome."""
        return self._parts.manual.history()
