"""Real brokers (Mosquitto, Redis, NATS) started on free loopback ports and stopped by PID."""

from __future__ import annotations

import getpass
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

INSTALL_HINT = "apt-get install -y mosquitto redis-server nats-server (or .ci/run)"
_SEARCH_DIRS = ("/usr/sbin", "/usr/bin", "/usr/local/bin", "/usr/local/sbin")


def find_binary(name: str) -> str:
    """The broker binary, or a skip naming the prerequisite (a failure under CI, see conftest)."""
    found = shutil.which(name)
    for directory in _SEARCH_DIRS:
        candidate = Path(directory) / name
        if found is None and candidate.is_file():
            found = str(candidate)
    if found is None:
        pytest.skip(f"{name} is not installed; {INSTALL_HINT}")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout_s} s")


@dataclass
class Broker:
    """One broker process; `kill()` and `start()` again keep the same port (restart tests)."""

    name: str
    command: list[str]
    port: int
    workdir: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        log = (self.workdir / f"{self.name}.log").open("ab")
        self.process = subprocess.Popen(self.command, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        try:
            wait_for_port(self.port)
        except TimeoutError:
            self.stop()
            raise

    def kill(self) -> None:
        """SIGKILL: the broker vanishes without saying goodbye."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        self._signal(signal.SIGTERM)

    def _signal(self, signum: int) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signum)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def mosquitto(workdir: Path, settings: str = "allow_anonymous true\n") -> Broker:
    """Mosquitto with one loopback listener; `settings` are the listener's extra config lines."""
    port = free_port()
    config = workdir / "mosquitto.conf"
    # `user`: mosquitto started as root would switch to user mosquitto and lose access to tmp_path
    config.write_text(
        f"per_listener_settings true\npersistence false\nuser {getpass.getuser()}\n"
        f"listener {port} 127.0.0.1\n{settings}"
    )
    return Broker("mosquitto", [find_binary("mosquitto"), "-c", str(config)], port, workdir)


def redis_server(workdir: Path) -> Broker:
    port = free_port()
    command = [
        find_binary("redis-server"),
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(workdir),
    ]
    return Broker("redis", command, port, workdir)


def nats_server(workdir: Path) -> Broker:
    port = free_port()
    return Broker("nats", [find_binary("nats-server"), "-a", "127.0.0.1", "-p", str(port)], port, workdir)
