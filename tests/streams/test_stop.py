"""stop() returns promptly even while the reader is blocked inside FFmpeg: a server that accepts
and never answers (blocked in open) and one that goes silent mid-stream (blocked in a read). The
timeouts are far longer than the test, so only the interrupt (service/streams/interrupt.py) can
end the blocking call."""

from __future__ import annotations

import time
from collections.abc import Callable

from service.streams.health import HealthState
from tests.streams.conftest import ReaderFactory
from tests.streams.servers import JunkServer, RtspServer

LONG = {"OpenTimeoutS": 60.0, "StallS": 60.0}


def _stop_quickly(recorded_reader_stop: Callable[[float], bool]) -> float:
    started = time.monotonic()
    assert recorded_reader_stop(5.0)
    return time.monotonic() - started


def test_stop_while_blocked_in_open(
    make_reader: ReaderFactory, junk_server_factory: Callable[[str], JunkServer]
) -> None:
    server = junk_server_factory("silent")
    recorded = make_reader(server.uri("rtsp"), **LONG)
    recorded.wait_for(lambda: server.connections >= 1, 5, "the connection")
    time.sleep(0.5)
    assert _stop_quickly(recorded.reader.stop) < 2.0
    assert not recorded.reader.running and recorded.reader.health.errors == 0


def test_stop_while_blocked_in_read(make_reader: ReaderFactory, rtsp_server: RtspServer) -> None:
    recorded = make_reader(rtsp_server.uri, **LONG)
    recorded.wait_state(HealthState.ONLINE, 10)
    rtsp_server.pause()
    time.sleep(0.5)
    assert _stop_quickly(recorded.reader.stop) < 2.0
    assert not recorded.reader.running and recorded.reader.health.state is HealthState.ONLINE
    rtsp_server.resume()
