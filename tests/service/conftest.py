"""Fixtures: the real `app-vision run` process, and a Mosquitto broker, on free loopback ports."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.service.harness import (
    APP_VISION,
    REPO,
    START_TIMEOUT_S,
    Mosquitto,
    ServiceProcess,
    free_port,
    wait_until,
)


@pytest.fixture
def start_service(tmp_path: Path) -> Iterator[Callable[..., ServiceProcess]]:
    """Starts `app-vision run -cd <repo>/res` with extra env; waits until ping answers."""
    started: list[ServiceProcess] = []

    def start(env: dict[str, str], args: tuple[str, ...] = (), wait_ping: bool = True) -> ServiceProcess:
        port = free_port()
        log_path = tmp_path / f"app-vision-{port}.log"
        full_env = {
            **{
                k: v for k, v in os.environ.items() if not k.startswith(("EDGEX_", "MESSAGEBUS_", "SERVICE_"))
            },
            "EDGEX_SECURITY_SECRET_STORE": "false",
            "SERVICE_HOST": "127.0.0.1",
            "SERVICE_PORT": str(port),
            **env,
        }
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [str(APP_VISION), "run", "-cd", str(REPO / "res"), *args],
                cwd=tmp_path,
                env=full_env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        service = ServiceProcess(port, log_path, process)
        started.append(service)
        if wait_ping:
            wait_until(lambda: service.ping_ok() or process.poll() is not None, START_TIMEOUT_S, "ping")
            assert process.poll() is None, f"app-vision exited with {process.returncode}:\n{service.log()}"
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
