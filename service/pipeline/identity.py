"""Who app-vision is on the bus: the device, profile and service names its result events carry."""

from __future__ import annotations

from typing import Final

RESULT_DEVICE = "app-vision"
RESULT_PROFILE = "app-vision-result"
RESULT_SERVICE = "app-vision"
# Counting readings (device-profiles/app-vision-analytics.yaml): one device per zone or line.
ANALYTICS_PROFILE = "app-vision-analytics"
ZONE_SOURCE: Final = "ZoneCounts"
LINE_SOURCE: Final = "LineCounts"
# Stream cameras' health (device-profiles/app-vision-camera-health.yaml): device = the camera.
HEALTH_PROFILE = "app-vision-camera-health"
HEALTH_SOURCE: Final = "StreamHealth"
# Mode switches (device-profiles/app-vision-mode.yaml): device app-vision, source Mode.
MODE_PROFILE = "app-vision-mode"
MODE_SOURCE: Final = "Mode"


def analytics_device(camera: str, name: str) -> str:
    """The device of a camera's zone or line in analytics readings: <camera>.<name>."""
    return f"{camera}.{name}"
