"""Which devices exist and which commands they offer, read from core-command (the minimal
core-metadata view app-vision needs: device list, a device's commands, its snapshot command).

`GET /api/v3/device/name/{name}` and `GET /api/v3/device/all` return DeviceCoreCommand DTOs
(GMCC dtos/corecommand.go); a malformed reply is a PayloadDecodeError.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.edgex.clients import HttpPeer, path_segment
from service.edgex.errors import PayloadDecodeError
from service.edgex.event_types import JsonValue
from service.edgex.values import BINARY_TYPE, VALUE_TYPES, normalize_value_type


@dataclass(frozen=True, slots=True)
class CoreCommandParameter:
    """A resource a command reads (get) or writes (set)."""

    resource_name: str
    value_type: str


@dataclass(frozen=True, slots=True)
class CoreCommand:
    """One command of a device as core-command exposes it."""

    name: str
    get: bool
    set: bool
    path: str
    url: str
    parameters: tuple[CoreCommandParameter, ...]

    @property
    def returns_binary(self) -> bool:
        """True if a GET yields a Binary reading (e.g. an ONVIF `Snapshot`, image/jpeg)."""
        return self.get and any(p.value_type == BINARY_TYPE for p in self.parameters)


@dataclass(frozen=True, slots=True)
class DeviceCoreCommand:
    """A device, its profile and its commands."""

    device_name: str
    profile_name: str
    core_commands: tuple[CoreCommand, ...]

    def command(self, name: str) -> CoreCommand | None:
        """The command called `name`, if the device has it."""
        return next((c for c in self.core_commands if c.name == name), None)

    def snapshot_command(self) -> CoreCommand | None:
        """The GET command returning an image: one named like "snapshot" first, else any Binary GET."""
        binary = [c for c in self.core_commands if c.returns_binary]
        named = [c for c in binary if "snapshot" in c.name.lower()]
        candidates = named or binary
        return candidates[0] if candidates else None


def _obj(value: JsonValue, what: str) -> dict[str, JsonValue]:
    if not isinstance(value, dict):
        raise PayloadDecodeError(f"{what} must be an object")
    return value


def _text(m: dict[str, JsonValue], key: str) -> str:
    value = m.get(key, "")
    if not isinstance(value, str):
        raise PayloadDecodeError(f"{key} must be a string")
    return value


def _items(m: dict[str, JsonValue], key: str) -> list[JsonValue]:
    value = m.get(key) or []
    if not isinstance(value, list):
        raise PayloadDecodeError(f"{key} must be an array")
    return value


def _parameter(value: JsonValue) -> CoreCommandParameter:
    m = _obj(value, "parameter")
    value_type = _text(m, "valueType")
    if value_type.lower() in {t.lower() for t in VALUE_TYPES}:
        value_type = normalize_value_type(value_type)
    return CoreCommandParameter(_text(m, "resourceName"), value_type)


def _command(value: JsonValue) -> CoreCommand:
    m = _obj(value, "coreCommand")
    return CoreCommand(
        name=_text(m, "name"),
        get=m.get("get") is True,
        set=m.get("set") is True,
        path=_text(m, "path"),
        url=_text(m, "url"),
        parameters=tuple(_parameter(p) for p in _items(m, "parameters")),
    )


def device_core_command_from_json(value: JsonValue) -> DeviceCoreCommand:
    """A DeviceCoreCommand DTO from its JSON object."""
    m = _obj(value, "deviceCoreCommand")
    return DeviceCoreCommand(
        device_name=_text(m, "deviceName"),
        profile_name=_text(m, "profileName"),
        core_commands=tuple(_command(c) for c in _items(m, "coreCommands")),
    )


class DeviceCommandsClient:
    """Reads device command lists from core-command's REST API."""

    def __init__(self, peer: HttpPeer) -> None:
        self._peer = peer

    def device(self, name: str) -> DeviceCoreCommand:
        """One device's commands; PeerRejected(404) if core-metadata does not know it."""
        reply = self._peer.call("GET", f"/device/name/{path_segment(name)}")
        return device_core_command_from_json(_obj(reply.body, "reply").get("deviceCoreCommand"))

    def devices(self, offset: int = 0, limit: int = -1) -> list[DeviceCoreCommand]:
        """Every device's commands (limit -1 = all remaining)."""
        reply = self._peer.call("GET", "/device/all", params={"offset": str(offset), "limit": str(limit)})
        items = _items(_obj(reply.body, "reply"), "deviceCoreCommands")
        return [device_core_command_from_json(d) for d in items]
