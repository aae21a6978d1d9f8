"""RTSP against GStreamer's RTSP server on loopback: frames at DetectFps with the right content,
health through a server that goes away and comes back or goes silent, credentials kept out of
logs, errors and health."""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable

import numpy as np
import pytest

from service.streams.health import HealthState
from service.streams.uri import inject_credentials
from tests.streams.conftest import ReaderFactory
from tests.streams.media import Media, frame_index
from tests.streams.servers import RtspServer

FAST_RECOVERY = {"StallS": 1.0, "OfflineAfterS": 2.0, "BackoffInitialS": 0.1, "BackoffMaxS": 0.4}


@pytest.mark.parametrize("transport", ["tcp", "udp"])
def test_frames_at_detect_fps_with_content(
    make_reader: ReaderFactory, rtsp_server: RtspServer, media: Media, transport: str
) -> None:
    recorded = make_reader(rtsp_server.uri, DetectFps=5, Transport=transport)
    recorded.wait_state(HealthState.ONLINE, 10)
    time.sleep(1.0)  # past the frames FFmpeg buffered while probing
    started = time.monotonic()
    time.sleep(3.0)
    frames = recorded.frames_since(started)
    assert 13 <= len(frames) <= 17  # 5 FPS out of the server's 10
    indexes = [frame_index(frame.image) for frame in frames]
    assert {(b - a) % media.frame_count for a, b in itertools.pairwise(indexes)} == {2}, indexes
    assert all(frame.image.shape == (480, 640, 3) for frame in frames)
    assert all(abs(frame.origin_ns / 1e9 - time.time()) < 3 for frame in frames)
    person = [f.image[24:] for f in frames if media.has_person(frame_index(f.image))]
    empty = [f.image[24:] for f in frames if not media.has_person(frame_index(f.image))]
    assert person and empty
    assert (
        np.abs(person[0].astype(int) - empty[0]).mean() > 3 > np.abs(empty[0].astype(int) - empty[-1]).mean()
    )
    assert recorded.states() == [HealthState.ONLINE] and recorded.changes[0].old is HealthState.CONNECTING
    health = recorded.reader.health
    assert health.errors == 0 and health.reconnects == 0 and health.packets_in >= health.frames_handed_on


def test_server_gone_stalled_then_offline_then_back_online(
    make_reader: ReaderFactory, rtsp_server: RtspServer
) -> None:
    recorded = make_reader(rtsp_server.uri, DetectFps=5, **FAST_RECOVERY)
    recorded.wait_state(HealthState.ONLINE, 10)
    rtsp_server.stop()
    gone = time.monotonic()
    recorded.wait_state(HealthState.STALLED, FAST_RECOVERY["StallS"] + 1)
    recorded.wait_state(HealthState.OFFLINE, FAST_RECOVERY["StallS"] + FAST_RECOVERY["OfflineAfterS"] + 1.5)
    offline_after = time.monotonic() - gone
    assert offline_after >= FAST_RECOVERY["OfflineAfterS"] - 0.1
    frames_while_offline = recorded.reader.health.frames_handed_on

    rtsp_server.start()  # same port, same reader
    recorded.wait_state(HealthState.ONLINE, 10)
    recorded.wait_for(
        lambda: recorded.reader.health.frames_handed_on > frames_while_offline + 5, 5, "frames again"
    )
    states = recorded.states()
    assert states[:2] == [HealthState.ONLINE, HealthState.STALLED] and states[-2:] == [
        HealthState.OFFLINE,
        HealthState.ONLINE,
    ]
    health = recorded.reader.health
    assert health.reconnects >= 2 and health.errors >= 2 and health.last_error
    assert recorded.reader.running


def test_silent_server_is_a_stall_and_recovers(make_reader: ReaderFactory, rtsp_server: RtspServer) -> None:
    recorded = make_reader(rtsp_server.uri, DetectFps=5, **FAST_RECOVERY)
    recorded.wait_state(HealthState.ONLINE, 10)
    rtsp_server.pause()
    took = recorded.wait_state(HealthState.STALLED, FAST_RECOVERY["StallS"] + 1.5)
    assert took >= FAST_RECOVERY["StallS"] - 0.3
    assert "no packet for 1 s" in recorded.reader.health.reason
    rtsp_server.resume()
    recorded.wait_state(HealthState.ONLINE, 10)


@pytest.mark.parametrize(
    ("password", "online"),
    [("s3cr:t@pw/%", True), ("wrong-s3cret", False)],
    ids=["right", "wrong"],
)
def test_credentials_injected_and_never_shown(
    make_reader: ReaderFactory,
    rtsp_server_factory: Callable[..., RtspServer],
    caplog: pytest.LogCaptureFixture,
    password: str,
    online: bool,
) -> None:
    caplog.set_level(logging.DEBUG)
    server = rtsp_server_factory(user="admin", password="s3cr:t@pw/%")
    recorded = make_reader(
        server.uri, uri_provider=lambda: inject_credentials(server.uri, "admin", password), **FAST_RECOVERY
    )
    if online:
        recorded.wait_state(HealthState.ONLINE, 10)
        recorded.wait_for(lambda: recorded.reader.health.frames_handed_on >= 3, 5, "frames")
    else:
        recorded.wait_for(lambda: recorded.reader.health.errors >= 2, 10, "two errors")
        assert "401" in recorded.reader.health.last_error or "authoriz" in recorded.reader.health.last_error
    shown = [caplog.text, repr(recorded.reader.health), *(change.reason for change in recorded.changes)]
    for text in shown:
        assert password not in text and "s3cr" not in text and "%3A" not in text
    assert online or "***@" in recorded.reader.health.last_error
