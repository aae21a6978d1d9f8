"""FakeCoreCommand: core-command's REST API (port 59882) as far as app-vision uses it.

    with FakeCoreCommand() as cc:            # default devices: Random-Boolean-Device, camera-01
        client = RestCommandClient(HttpPeer(PeerSettings("core-command", "127.0.0.1", cc.port)))
        client.set("Random-Boolean-Device", "WriteBoolValue", {"Bool": "true"})
        assert cc.values["Random-Boolean-Device"]["Bool"] == "true"
        assert cc.invalid_requests == []      # every body/path/query matched core-command.yaml
        cc.set_down(True)                     # connection refused  (mode="503": 503 answers)
        cc.fail_next(423, "device locked")    # next valid request gets 423

Routes: GET/PUT /api/v3/device/name/{name}/{command}, GET /api/v3/device/name/{name},
GET /api/v3/device/all, GET /api/v3/ping. GET answers an EventResponse whose readings come from
`values` (str for simple types, bytes for Binary); ds-returnevent=false answers without event and
ds-pushevent=true appends the event to `pushed_events`. PUT stores the settings into `values`.
"""

from __future__ import annotations

import base64
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from tests.fakes.http_fake import FakeHttpPeer, JwtCheck, Reply, error_body

# A real 8x8 orange JPEG (cv2.imencode), the default answer of camera-01/Snapshot.
TINY_JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19i"
    "Z2hnPk1xeXBkeFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2Nj"
    "Y2NjY2NjY2P/wAARCAAIAAgDASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUF"
    "BAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVW"
    "V1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi"
    "4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAEC"
    "AxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVm"
    "Z2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq"
    "8vP09fb3+Pn6/9oADAMBAAIRAxEAPwC5RRRXy59Gf//Z"
)


@dataclass(frozen=True)
class FakeCommand:
    """A device command: readable/writable, with (resourceName, valueType) parameters."""

    name: str
    get: bool
    set: bool
    parameters: tuple[tuple[str, str], ...]
    media_type: str = ""


@dataclass
class FakeDevice:
    """A device known to the fake core-command (and its initial resource values)."""

    name: str
    profile: str
    commands: tuple[FakeCommand, ...]
    values: dict[str, str | bytes] = field(default_factory=dict)


def default_devices() -> list[FakeDevice]:
    """Random-Boolean-Device as in the capture rest-core-command-device-commands.json, and an
    ONVIF-like camera whose `Snapshot` command returns a Binary image/jpeg reading."""
    boolean = FakeDevice(
        "Random-Boolean-Device",
        "Random-Boolean-Device",
        (
            FakeCommand(
                "WriteBoolValue", False, True, (("Bool", "Bool"), ("EnableRandomization_Bool", "Bool"))
            ),
            FakeCommand(
                "WriteBoolArrayValue",
                False,
                True,
                (("BoolArray", "BoolArray"), ("EnableRandomization_BoolArray", "Bool")),
            ),
            FakeCommand("Bool", True, True, (("Bool", "Bool"),)),
            FakeCommand("BoolArray", True, True, (("BoolArray", "BoolArray"),)),
        ),
        {
            "Bool": "true",
            "BoolArray": "[true, false]",
            "EnableRandomization_Bool": "true",
            "EnableRandomization_BoolArray": "true",
        },
    )
    camera = FakeDevice(
        "camera-01",
        "onvif-camera",
        (
            FakeCommand("Snapshot", True, False, (("Snapshot", "Binary"),), media_type="image/jpeg"),
            FakeCommand("Alarm", True, True, (("Alarm", "Bool"),)),
        ),
        {"Snapshot": TINY_JPEG, "Alarm": "false"},
    )
    return [boolean, camera]


class FakeCoreCommand(FakeHttpPeer):
    """See the module docstring."""

    spec_name = "core-command"

    def __init__(self, devices: list[FakeDevice] | None = None, jwt_check: JwtCheck | None = None) -> None:
        super().__init__(jwt_check)  # jwt_check: secure mode, 401 without a JWT it accepts
        self.devices = {d.name: d for d in (default_devices() if devices is None else devices)}
        self.pushed_events: list[dict[str, Any]] = []

    @property
    def values(self) -> dict[str, dict[str, str | bytes]]:
        """device -> resource -> current value (mutable: tests may set values directly)."""
        return {name: d.values for name, d in self.devices.items()}

    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> Reply:
        levels = [unquote(level) for level in path.split("/")]
        if method == "GET" and path in ("/api/v3/ping",):
            return 200, {
                "apiVersion": "v3",
                "timestamp": time.strftime("%a %b %d %H:%M:%S UTC %Y"),
                "serviceName": "core-command",
            }
        if method == "GET" and levels[:4] == ["", "api", "v3", "device"] and levels[4:5] == ["all"]:
            dtos = [self._device_dto(d) for d in self.devices.values()]
            return 200, {
                "apiVersion": "v3",
                "statusCode": 200,
                "totalCount": len(dtos),
                "deviceCoreCommands": dtos,
            }
        if levels[:5] != ["", "api", "v3", "device", "name"] or len(levels) not in (6, 7):
            return 404, error_body(404, f"no route for {method} {path}")
        device = self.devices.get(levels[5])
        if device is None:
            return 404, error_body(404, f"fail to query device by name {levels[5]}")
        if len(levels) == 6:
            return 200, {"apiVersion": "v3", "statusCode": 200, "deviceCoreCommand": self._device_dto(device)}
        command = next((c for c in device.commands if c.name == levels[6]), None)
        if command is None:
            return 404, error_body(404, f"command {levels[6]} not found on device {device.name}")
        if method == "GET":
            return self._read(device, command, query)
        return self._write(device, command, body)

    def _read(self, device: FakeDevice, command: FakeCommand, query: dict[str, str]) -> Reply:
        if not command.get:
            return 405, error_body(405, f"{command.name} is not readable")
        event = self._event(device, command)
        if query.get("ds-pushevent") == "true":
            self.pushed_events.append(event)
        if query.get("ds-returnevent") == "false":
            return 200, {"apiVersion": "v3", "statusCode": 200}
        return 200, {"apiVersion": "v3", "statusCode": 200, "event": event}

    def _write(self, device: FakeDevice, command: FakeCommand, body: dict[str, str]) -> Reply:
        if not command.set:
            return 405, error_body(405, f"{command.name} is not writable")
        allowed = {resource for resource, _ in command.parameters}
        unknown = sorted(set(body) - allowed)
        if unknown:
            return 400, error_body(400, f"resources {unknown} are not part of command {command.name}")
        device.values.update(body)
        return 200, {"apiVersion": "v3", "statusCode": 200}

    def _event(self, device: FakeDevice, command: FakeCommand) -> dict[str, Any]:
        origin = time.time_ns()
        readings = []
        for resource, value_type in command.parameters:
            reading: dict[str, Any] = {
                "id": str(uuid.uuid4()),
                "origin": origin,
                "deviceName": device.name,
                "resourceName": resource,
                "profileName": device.profile,
                "valueType": value_type,
            }
            value = device.values.get(resource, "")
            if value_type == "Binary":
                raw = value if isinstance(value, bytes) else value.encode()
                reading |= {"binaryValue": base64.b64encode(raw).decode(), "mediaType": command.media_type}
            else:
                reading["value"] = value if isinstance(value, str) else value.decode()
            readings.append(reading)
        return {
            "apiVersion": "v3",
            "id": str(uuid.uuid4()),
            "deviceName": device.name,
            "profileName": device.profile,
            "sourceName": command.name,
            "origin": origin,
            "readings": readings,
        }

    def _device_dto(self, device: FakeDevice) -> dict[str, Any]:
        commands = []
        for c in device.commands:
            dto: dict[str, Any] = {"name": c.name}
            if c.get:
                dto["get"] = True
            if c.set:
                dto["set"] = True
            dto |= {
                "path": f"/api/v3/device/name/{device.name}/{c.name}",
                "url": self.url,
                "parameters": [{"resourceName": r, "valueType": t} for r, t in c.parameters],
            }
            commands.append(dto)
        return {"deviceName": device.name, "profileName": device.profile, "coreCommands": commands}
