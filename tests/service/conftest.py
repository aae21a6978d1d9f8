"""Fixtures: the real `app-vision run` process, and a Mosquitto broker, on free loopback ports."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.service.harness import Mosquitto, ServiceProcess, free_port, launch_service


@pytest.fixture
def start_service(tmp_path: Path) -> Iterator[Callable[..., ServiceProcess]]:
    """Starts `app-vision run -cd <repo>/res` with extra env; waits until ping answers."""
    started: list[ServiceProcess] = []

    def start(env: dict[str, str], args: tuple[str, ...] = (), wait_ping: bool = True) -> ServiceProcess:
        service = launch_service(tmp_path, env, args, wait_ping)
        started.append(service)
        return service

    yield start
    for service in started:
        if service.process.poll() is None:
            service.process.kill()
            service.process.wait(timeout=5)


@pytest.fixture
def mosquitto_broker(tmp_path: Path) -> Iterator[Mosquitto]:
    """A not-yet-started broker (tests decide when it is up); always stopped afterwards."""
    if shutil.which("mosquitto") is None and not Path("/usr/sbin/mosquitto").is_file():
        pytest.skip("mosquitto is not installed; apt-get install -y mosquitto (or .ci/run)")
    broker = Mosquitto(free_port(), tmp_path)
    yield broker
    broker.stop()
