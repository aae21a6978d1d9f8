"""Devices.<camera>.Stream and Pipeline.Clips in the pipeline settings: validated, credentials redacted."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from service.config.redact import redact
from service.pipeline.settings import PipelineSettings

CAMERA = {"Role": "camera", "Stream": {"Uri": "rtsp://admin:hunter2@10.0.0.5:554/live", "DetectFps": 5}}


def test_a_camera_with_a_stream_and_clips() -> None:
    settings = PipelineSettings.model_validate(
        {"Devices": {"door": CAMERA}, "Clips": {"PreRollS": 3, "PostRollS": 7}}
    )
    stream = settings.Devices["door"].Stream
    assert stream is not None and stream.DetectFps == 5 and stream.Uri.endswith("/live")
    assert settings.Clips.PreRollS == 3 and settings.Clips.PostRollS == 7
    assert "hunter2" not in repr(settings)
    assert PipelineSettings().Devices == {} and PipelineSettings().Clips.Enabled


@pytest.mark.parametrize(
    ("devices", "fragment"),
    [
        ({"pir": {"Role": "sensor", "Stream": {"Uri": "rtsp://h/x"}}}, "Stream applies to cameras only"),
        ({"cam": {"Role": "camera", "Stream": {"Uri": "ftp://h/x"}}}, "unsupported stream URI scheme"),
        ({"cam": {"Role": "camera", "Stream": {"Source": "config"}}}, "Uri is required"),
        ({"cam": {"Role": "camera", "Stream": {"Uri": "a.mp4", "DetectFps": 0}}}, "DetectFps"),
        ({"cam": {"Role": "camera", "Stream": {"Uri": "a.mp4", "Fps": 5}}}, "Fps"),
    ],
)
def test_bad_streams_are_errors_naming_their_path(devices: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        PipelineSettings.model_validate({"Devices": devices})


def test_bad_clip_settings_are_errors() -> None:
    with pytest.raises(ValidationError, match="PreRollS"):
        PipelineSettings.model_validate({"Clips": {"PreRollS": -1}})


def test_config_output_redacts_the_stream_credentials() -> None:
    """GET /api/v3/config and `config check` show the dump through redact()."""
    dump = PipelineSettings.model_validate({"Devices": {"door": CAMERA}}).model_dump(mode="json")
    shown = redact({"AppCustom": {"Pipeline": dump}, "List": ["http://u:pw@h/x", 3]})
    text = str(shown)
    assert "hunter2" not in text and "admin" not in text and "pw@" not in text
    uri = shown["AppCustom"]["Pipeline"]["Devices"]["door"]["Stream"]["Uri"]  # type: ignore[index]
    assert uri == "rtsp://***@10.0.0.5:554/live"
