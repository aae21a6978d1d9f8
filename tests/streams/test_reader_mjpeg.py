"""MJPEG over HTTP (multipart/x-mixed-replace): frames at DetectFps with the right content, only
the due JPEGs decoded, basic-auth credentials injected and never shown."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import numpy as np
import pytest

from service.streams.health import HealthState
from service.streams.uri import inject_credentials
from tests.streams.conftest import ReaderFactory
from tests.streams.media import Media, frame_index
from tests.streams.servers import MjpegServer


def test_frames_at_detect_fps_with_content(
    make_reader: ReaderFactory, mjpeg_server_factory: Callable[..., MjpegServer], media: Media
) -> None:
    server = mjpeg_server_factory(fps=10)
    recorded = make_reader(server.uri, DetectFps=4)
    recorded.wait_state(HealthState.ONLINE, 5)
    started = time.monotonic()
    time.sleep(media.empty_s + media.person_s)
    frames = recorded.frames_since(started)
    assert 14 <= len(frames) <= 18  # 4 FPS out of the server's 10
    indexes = [frame_index(frame.image) for frame in frames]
    person = [f.image[24:] for f, i in zip(frames, indexes, strict=True) if media.has_person(i)]
    empty = [f.image[24:] for f, i in zip(frames, indexes, strict=True) if not media.has_person(i)]
    assert person and empty and np.abs(person[0].astype(int) - empty[0]).mean() > 3
    assert all(frame.image.shape == (480, 640, 3) and frame.pts_s is None for frame in frames)
    health = recorded.reader.health
    assert health.frames_decoded == health.frames_handed_on < 0.6 * health.packets_in  # surplus not decoded


@pytest.mark.parametrize(("password", "online"), [("p@ss:w/rd", True), ("nope-s3cret", False)])
def test_basic_auth_credentials_injected_and_never_shown(
    make_reader: ReaderFactory,
    mjpeg_server_factory: Callable[..., MjpegServer],
    caplog: pytest.LogCaptureFixture,
    password: str,
    online: bool,
) -> None:
    caplog.set_level(logging.DEBUG)
    server = mjpeg_server_factory(user="viewer", password="p@ss:w/rd")
    uri = inject_credentials(server.uri, "viewer", password)
    recorded = make_reader(server.uri, uri_provider=lambda: uri, BackoffInitialS=0.05, BackoffMaxS=0.1)
    if online:
        recorded.wait_for(lambda: recorded.reader.health.frames_handed_on >= 3, 5, "frames")
    else:
        recorded.wait_for(lambda: recorded.reader.health.errors >= 2, 5, "errors")
        assert "401" in recorded.reader.health.last_error
    for text in (caplog.text, repr(recorded.reader.health), *(c.reason for c in recorded.changes)):
        assert password not in text and "%40" not in text
