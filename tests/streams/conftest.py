"""Fixtures of the stream tests: the session's videos, stream servers on loopback (stopped by pid or
thread in teardown) and readers that record what they hand on and every health change."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from service.streams.decoded_frame import DecodedFrame
from service.streams.health import HealthState
from service.streams.packet_sink import PacketSink
from service.streams.reader import StreamReader
from service.streams.settings import StreamSettings
from tests.streams.media import Media, build_media
from tests.streams.servers import (
    GSTREAMER_HINT,
    JunkServer,
    MjpegServer,
    RtspServer,
    gstreamer_rtsp_available,
)


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> Media:
    """2 s of the empty photo then 2 s of the person photo, 10 FPS, in every format."""
    return build_media(tmp_path_factory.mktemp("stream-media"), empty_s=2, person_s=2)


@pytest.fixture(scope="session")
def gstreamer() -> None:
    if not gstreamer_rtsp_available():
        pytest.skip(GSTREAMER_HINT)


@pytest.fixture
def rtsp_server(gstreamer: None, media: Media) -> Iterator[RtspServer]:
    server = RtspServer(media.h264_units)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def rtsp_server_factory(gstreamer: None, media: Media) -> Iterator[Callable[..., RtspServer]]:
    servers: list[RtspServer] = []

    def make(**kwargs: Any) -> RtspServer:
        server = RtspServer(media.h264_units, **kwargs)
        servers.append(server)
        server.start()
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def mjpeg_server_factory(media: Media) -> Iterator[Callable[..., MjpegServer]]:
    servers: list[MjpegServer] = []

    def make(fps: float = 10, **kwargs: Any) -> MjpegServer:
        server = MjpegServer(media.jpeg_frames, fps, **kwargs)
        servers.append(server)
        server.start()
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def junk_server_factory() -> Iterator[Callable[..., JunkServer]]:
    servers: list[JunkServer] = []

    def make(mode: str) -> JunkServer:
        server = JunkServer(mode)  # type: ignore[arg-type]
        servers.append(server)
        server.start()
        return server

    yield make
    for server in servers:
        server.stop()


@dataclass
class Change:
    at: float
    old: HealthState
    new: HealthState
    reason: str


@dataclass
class Recorded:
    """A reader and what it did: frames handed on (with the monotonic time), health changes."""

    reader: StreamReader
    frames: list[tuple[float, DecodedFrame]] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def states(self) -> list[HealthState]:
        with self.lock:
            return [change.new for change in self.changes]

    def frames_since(self, t: float) -> list[DecodedFrame]:
        with self.lock:
            return [frame for at, frame in self.frames if at >= t]

    def wait_for(self, condition: Callable[[], bool], timeout_s: float, what: str) -> float:
        """Poll condition; the seconds it took, or fail naming `what` and the health."""
        started = time.monotonic()
        while not condition():
            if time.monotonic() - started > timeout_s:
                pytest.fail(f"{what} not within {timeout_s} s: {self.reader.health}")
            time.sleep(0.02)
        return time.monotonic() - started

    def wait_state(self, state: HealthState, timeout_s: float) -> float:
        return self.wait_for(lambda: self.reader.health.state is state, timeout_s, f"state {state.value}")


ReaderFactory = Callable[..., Recorded]


@pytest.fixture
def make_reader() -> Iterator[ReaderFactory]:
    """make_reader(uri, sink=None, on_frame=None, uri_provider=None, **StreamSettings fields):
    a started reader whose frames and changes are recorded; stopped in teardown."""
    made: list[Recorded] = []

    def make(
        uri: str,
        sink: PacketSink | None = None,
        on_frame: Callable[[DecodedFrame], None] | None = None,
        uri_provider: Callable[[], str] | None = None,
        camera: str = "cam-1",
        **fields: Any,
    ) -> Recorded:
        settings = StreamSettings(Uri=uri, **fields) if uri else StreamSettings(Source="onvif", **fields)
        recorded: Recorded

        def frame(decoded: DecodedFrame) -> None:
            with recorded.lock:
                recorded.frames.append((time.monotonic(), decoded))
            if on_frame is not None:
                on_frame(decoded)

        def change(_camera: str, old: HealthState, new: HealthState, reason: str) -> None:
            with recorded.lock:
                recorded.changes.append(Change(time.monotonic(), old, new, reason))

        reader = StreamReader(camera, settings, uri_provider or (lambda: uri), frame, sink, change)
        recorded = Recorded(reader)
        made.append(recorded)
        reader.start()
        return recorded

    yield make
    for recorded in made:
        assert recorded.reader.stop(timeout_s=3), f"{recorded.reader.camera} did not stop"
