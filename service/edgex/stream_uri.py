"""A camera's stream URI, asked of its device service through core-command.

- device-onvif-camera: `GET .../device/name/{camera}/StreamUri?jsonObject=<base64 JSON>` with the
  stream setup and the media profile token; an Object reading, URI at `MediaUri.Uri` (without
  credentials: the caller puts them in).
- device-usb-camera: `GET .../StreamURI`, a String reading `rtsp://<host>:8554/stream/<device>`;
  the stream exists once `StartStreaming` was set (`start_usb_streaming`).

Errors (core-command being unreachable stays PeerUnavailable, from the client):

StreamUriError                  (an EdgeXError)
├── StreamUriRejected           core-command or the device service refused the command
├── MissingStreamUriReading     the reply holds no reading of the resource
├── StreamUriValueTypeError     the reading is not of the expected valueType
└── NoStreamUri                 the reading holds no URI
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping

from service.edgex.commands import CommandClient, CommandResult
from service.edgex.errors import EdgeXError
from service.edgex.event_types import JsonValue, Reading

ONVIF_STREAM_URI = "StreamUri"
USB_STREAM_URI = "StreamURI"
USB_START_STREAMING = "StartStreaming"


class StreamUriError(EdgeXError):
    """Base of the stream URI errors."""


class StreamUriRejected(StreamUriError):
    """The command was refused; `status` and `message` are EdgeX's."""

    def __init__(self, device: str, command: str, status: int, message: str) -> None:
        super().__init__(f"{device}/{command} refused ({status}): {message}")
        self.status = status
        self.message = message


class MissingStreamUriReading(StreamUriError):
    """No reading of the resource in the reply."""


class StreamUriValueTypeError(StreamUriError):
    """The reading has another valueType than the device service documents."""


class NoStreamUri(StreamUriError):
    """The reading holds no URI."""


def onvif_stream_query(profile_token: str) -> dict[str, str]:
    """The `jsonObject` query of device-onvif-camera's StreamUri: RTP unicast over RTSP."""
    setup = {
        "StreamSetup": {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}},
        "ProfileToken": profile_token,
    }
    return {"jsonObject": base64.b64encode(json.dumps(setup).encode()).decode()}


def onvif_stream_uri(client: CommandClient, camera: str, profile_token: str = "profile_1") -> str:
    """The RTSP URI of an ONVIF camera's media profile."""
    result = client.get(camera, ONVIF_STREAM_URI, query=onvif_stream_query(profile_token))
    reading = _reading(result, camera, ONVIF_STREAM_URI, "Object")
    media = reading.object_value.get("MediaUri") if isinstance(reading.object_value, dict) else None
    uri = media.get("Uri") if isinstance(media, dict) else None
    if not isinstance(uri, str) or not uri.strip():
        raise NoStreamUri(f"{camera}/{ONVIF_STREAM_URI}: no MediaUri.Uri in {_short(reading.object_value)}")
    return uri.strip()


def usb_stream_uri(client: CommandClient, camera: str) -> str:
    """The RTSP URI device-usb-camera serves a camera at (after StartStreaming)."""
    reading = _reading(client.get(camera, USB_STREAM_URI), camera, USB_STREAM_URI, "String")
    uri = (reading.value or "").strip()
    if not uri:
        raise NoStreamUri(f"{camera}/{USB_STREAM_URI}: the reading is empty (is the camera streaming?)")
    return uri


def start_usb_streaming(client: CommandClient, camera: str, options: Mapping[str, str] | None = None) -> None:
    """Ask device-usb-camera to start the camera's RTSP stream; options are its Input*/Output*
    ffmpeg settings (e.g. {"InputImageSize": "640x480", "OutputVideoQuality": "5"})."""
    settings: dict[str, JsonValue] = {USB_START_STREAMING: dict(options or {})}
    result = client.set(camera, USB_START_STREAMING, settings)
    if not result.ok:
        raise StreamUriRejected(camera, USB_START_STREAMING, result.status, result.message)


def _reading(result: CommandResult, camera: str, command: str, value_type: str) -> Reading:
    if not result.ok:
        raise StreamUriRejected(camera, command, result.status, result.message)
    readings = result.event.readings if result.event is not None else ()
    reading = next((r for r in readings if r.resource_name == command), None)
    if reading is None:
        found = ", ".join(r.resource_name for r in readings) or "none"
        raise MissingStreamUriReading(
            f"{camera}/{command}: no {command} reading in the reply (readings: {found})"
        )
    if reading.value_type != value_type:
        raise StreamUriValueTypeError(
            f"{camera}/{command}: the reading is {reading.value_type}, expected {value_type}"
        )
    return reading


def _short(value: JsonValue) -> str:
    text = json.dumps(value)
    return text if len(text) <= 200 else text[:200] + "..."
