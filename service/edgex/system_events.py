"""core-metadata system events (`edgex/system-events/core-metadata/<type>/<action>/<owner>[/<profile>]`)."""

from __future__ import annotations

from dataclasses import dataclass

from service.edgex.errors import PayloadDecodeError
from service.edgex.event_types import JsonValue


@dataclass(frozen=True, slots=True)
class SystemEvent:
    """GMCC dtos.SystemEvent: `details` is the affected DTO (e.g. the Device), timestamp in ns."""

    type: str  # device | deviceprofile | deviceservice | provisionwatcher
    action: str  # add | update | delete | discovery | profilescan
    source: str
    owner: str
    details: JsonValue
    timestamp: int

    @property
    def device_name(self) -> str:
        """`details.name` for device events ("" otherwise)."""
        if self.type == "device" and isinstance(self.details, dict):
            name = self.details.get("name")
            return name if isinstance(name, str) else ""
        return ""


def system_event_from_json(value: JsonValue) -> SystemEvent:
    """Parse a SystemEvent payload; PayloadDecodeError on a wrong shape."""
    if not isinstance(value, dict):
        raise PayloadDecodeError("system event must be an object")
    texts = {}
    for key in ("type", "action", "source", "owner"):
        text = value.get(key, "")
        if not isinstance(text, str):
            raise PayloadDecodeError(f"system event {key} must be a string")
        texts[key] = text
    timestamp = value.get("timestamp", 0)
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        raise PayloadDecodeError("system event timestamp must be an integer")
    return SystemEvent(details=value.get("details"), timestamp=timestamp, **texts)
