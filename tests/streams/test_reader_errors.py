"""Sources that fail: junk answers, refused connections, 404, a URI provider that raises. Each is
an error on that camera (counted, last error, backoff, offline), never an exception escaping the
thread."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from service.streams.health import HealthState
from tests.bus.brokers import free_port
from tests.streams.conftest import ReaderFactory
from tests.streams.servers import JunkServer, MjpegServer

QUICK = {"BackoffInitialS": 0.05, "BackoffMaxS": 0.2, "OfflineAfterS": 0.6, "OpenTimeoutS": 2.0}


def _assert_failing_camera(recorded_errors: int, running: bool, handed_on: int) -> None:
    assert recorded_errors >= 3 and running and handed_on == 0


@pytest.mark.parametrize("scheme", ["rtsp", "http"])
def test_junk_answers_are_errors(
    make_reader: ReaderFactory, junk_server_factory: Callable[[str], JunkServer], scheme: str
) -> None:
    server = junk_server_factory("junk")
    recorded = make_reader(server.uri(scheme), **QUICK)
    recorded.wait_for(lambda: recorded.reader.health.errors >= 3, 15, "3 errors")
    recorded.wait_state(HealthState.OFFLINE, 5)
    health = recorded.reader.health
    _assert_failing_camera(health.errors, recorded.reader.running, health.frames_handed_on)
    assert health.last_error.startswith("cannot open") and server.connections >= 3
    assert health.reconnects >= 2 and health.last_error_s is not None


def test_refused_connection_is_an_error(make_reader: ReaderFactory) -> None:
    recorded = make_reader(f"rtsp://127.0.0.1:{free_port()}/cam", **QUICK)
    recorded.wait_for(lambda: recorded.reader.health.errors >= 3, 10, "3 errors")
    recorded.wait_state(HealthState.OFFLINE, 5)
    assert recorded.states() == [HealthState.OFFLINE]  # connecting -> offline, no flapping after
    assert "refused" in recorded.reader.health.last_error.lower()


def test_http_404_is_an_error(
    make_reader: ReaderFactory, mjpeg_server_factory: Callable[..., MjpegServer]
) -> None:
    server = mjpeg_server_factory()
    recorded = make_reader(server.uri + "-missing", **QUICK)
    recorded.wait_for(lambda: recorded.reader.health.errors >= 2, 10, "2 errors")
    assert "404" in recorded.reader.health.last_error and recorded.reader.running


def test_uri_provider_failure_becomes_the_last_error(make_reader: ReaderFactory) -> None:
    calls: list[int] = []

    def provider() -> str:
        calls.append(1)
        raise LookupError("camera door-1 has no StreamUri reading")

    recorded = make_reader("", uri_provider=provider, **QUICK)
    recorded.wait_for(lambda: len(calls) >= 3, 10, "3 provider calls")
    health = recorded.reader.health
    assert health.last_error == "LookupError: camera door-1 has no StreamUri reading"
    assert health.errors >= 2 and recorded.reader.running
