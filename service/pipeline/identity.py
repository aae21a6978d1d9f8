"""Who app-vision is on the bus: the device, profile and service names its result events carry."""

from __future__ import annotations

RESULT_DEVICE = "app-vision"
RESULT_PROFILE = "app-vision-result"
RESULT_SERVICE = "app-vision"
