"""The URI a stream camera's reader opens: as configured, or asked of core-command, with credentials
from the secret store by SecretName (read at every connect)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from service.edgex.commands import CommandResult
from service.edgex.event_types import JsonValue, Reading, new_event
from service.pipeline.errors import StreamCredentialsError
from service.pipeline.ingest.stream_uris import uri_provider
from service.streams.settings import StreamSettings


class Commands:
    """A CommandClient answering StreamUri (ONVIF, Object) and StreamURI (USB, String) readings."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []

    def get(self, device: str, command: str, **kwargs: Any) -> CommandResult:
        self.calls.append(("get", device, command))
        if command == "StreamUri":
            reading = Reading.object("StreamUri", {"MediaUri": {"Uri": "rtsp://10.0.0.5:554/s1"}})
        else:
            reading = Reading.simple("StreamURI", "String", f"rtsp://usb:8554/stream/{device}")
        return CommandResult(True, 200, "", 0.0, new_event(device, "p", command, [reading]))

    def set(self, device: str, command: str, settings: Mapping[str, JsonValue]) -> CommandResult:
        self.calls.append(("set", device, command))
        return CommandResult(True, 200, "", 0.0)


SECRETS = {"door-cam": {"username": "admin", "password": "p@ss:word"}}


@pytest.mark.parametrize(
    ("stream", "uri", "calls"),
    [
        ({"Uri": "rtsp://cam.local/live"}, "rtsp://cam.local/live", []),
        (
            {"Uri": "rtsp://old:creds@cam.local/live", "SecretName": "door-cam"},
            "rtsp://admin:p%40ss%3Aword@cam.local/live",
            [],
        ),
        (
            {"Source": "onvif", "SecretName": "door-cam"},
            "rtsp://admin:p%40ss%3Aword@10.0.0.5:554/s1",
            [("get", "cam", "StreamUri")],
        ),
        (
            {"Source": "usb"},
            "rtsp://usb:8554/stream/cam",
            [("set", "cam", "StartStreaming"), ("get", "cam", "StreamURI")],
        ),
    ],
    ids=["config", "config-with-secret", "onvif-with-secret", "usb"],
)
def test_the_uri_with_its_credentials(
    stream: dict[str, Any], uri: str, calls: list[tuple[str, str, str]]
) -> None:
    commands = Commands()
    provide = uri_provider(
        "cam", StreamSettings.model_validate(stream), commands, lambda n: SECRETS.get(n, {})
    )
    assert provide() == uri
    assert commands.calls == calls


def test_the_secret_is_read_at_every_connect() -> None:
    secrets: dict[str, dict[str, str]] = {}
    settings = StreamSettings(Uri="rtsp://cam.local/live", SecretName="door-cam")
    provide = uri_provider("cam", settings, Commands(), lambda n: secrets.get(n, {}))
    with pytest.raises(StreamCredentialsError, match="door-cam") as raised:
        provide()
    assert "password" not in str(raised.value)
    secrets["door-cam"] = {"username": "u", "password": "p"}  # e.g. POST /api/v3/secret
    assert provide() == "rtsp://u:p@cam.local/live"
