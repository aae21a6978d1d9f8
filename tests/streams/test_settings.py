"""StreamSettings: defaults, URI schemes, the Uri/Source pair, bounds, unknown keys."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from service.streams.settings import StreamSettings
from service.streams.uri import StreamKind


def test_defaults() -> None:
    settings = StreamSettings(Uri="rtsp://cam/s1")
    assert (settings.Source, settings.Transport, settings.HwAccel, settings.ProfileToken) == (
        "config",
        "tcp",
        "auto",
        "profile_1",
    )
    assert settings.Loop and settings.Realtime and settings.kind is StreamKind.RTSP


@pytest.mark.parametrize(
    "fields",
    [
        {"Source": "onvif"},
        {"Source": "usb", "SecretName": "rtspauth"},
        {"Uri": "https://cam/mjpeg", "DetectFps": 0.5},
        {"Uri": "file:///tmp/door.mp4", "Loop": False, "Realtime": False},
    ],
)
def test_valid(fields: dict[str, Any]) -> None:
    StreamSettings(**fields)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "Uri is required when Source is config"),
        ({"Uri": "ftp://admin:pw@cam/x"}, "unsupported stream URI scheme 'ftp'"),
        ({"Uri": "rtsp://cam/x", "DetectFps": 0}, "greater than 0"),
        ({"Uri": "rtsp://cam/x", "Transport": "sctp"}, "'tcp' or 'udp'"),
        ({"Uri": "rtsp://cam/x", "HwAccel": "cuda"}, "'auto', 'none', 'vaapi' or 'qsv'"),
        ({"Uri": "rtsp://cam/x", "BackoffInitialS": 10, "BackoffMaxS": 5}, "must not exceed"),
        ({"Uri": "rtsp://cam/x", "Source": "webcam"}, "'config', 'onvif' or 'usb'"),
        ({"Uri": "rtsp://cam/x", "StalS": 3}, "Extra inputs are not permitted"),
    ],
)
def test_invalid(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message) as raised:
        StreamSettings(**fields)
    assert "admin:pw" not in str(raised.value)


def test_repr_redacts_credentials_in_uri() -> None:
    settings = StreamSettings(Uri="rtsp://admin:hunter2@cam/s1")
    assert "hunter2" not in repr(settings) and "rtsp://***@cam/s1" in repr(settings)
    assert "hunter2" not in str(settings)
