"""Helpers for the lifecycle tests: the real `app-vision run` process and a Mosquitto broker."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
APP_VISION = Path(sys.executable).parent / "app-vision"
START_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


@dataclass
class ServiceProcess:
    """One `app-vision run` child; its stderr/stdout go to `log_path`."""

    port: int
    log_path: Path
    process: subprocess.Popen[bytes]
    base_url: str = field(init=False)

    def __post_init__(self) -> None:
        self.base_url = f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.base_url + path, timeout=2.0)

    def ping_ok(self) -> bool:
        try:
            return self.get("/api/v3/ping").status_code == 200
        except httpx.HTTPError:
            return False

    def metric(self, sample: str) -> float:
        """The value of one Prometheus sample line (e.g. 'invalid_messages_total{reason="envelope"}')."""
        for line in self.get("/metrics").text.splitlines():
            if line.startswith(sample + " "):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    def terminate(self, timeout_s: float = 5.0) -> tuple[int, float]:
        """SIGTERM; (exit code, seconds until exit). Kills it if it overruns, and fails."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
            raise AssertionError(f"no exit within {timeout_s} s of SIGTERM; log:\n{self.log()}") from None
        return code, time.monotonic() - started


def launch_service(
    workdir: Path, env: dict[str, str], args: tuple[str, ...] = (), wait_ping: bool = True
) -> ServiceProcess:
    """Starts `app-vision run -cd <repo>/res [args]` in `workdir` on a free port with `env` over
    the parent's environment (EDGEX_*, MESSAGEBUS_*, SERVICE_* left out); by default waits until
    ping answers, and kills the process if it exits or never answers."""
    port = free_port()
    log_path = workdir / f"app-vision-{port}.log"
    full_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("EDGEX_", "MESSAGEBUS_", "SERVICE_"))},
        "EDGEX_SECURITY_SECRET_STORE": "false",
        "SERVICE_HOST": "127.0.0.1",
        "SERVICE_PORT": str(port),
        "APPCUSTOM_ACCESS_ENABLED": "false",  # these tests are about the process, not access control
        **env,
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(APP_VISION), "run", "-cd", str(REPO / "res"), *args],
            cwd=workdir,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    service = ServiceProcess(port, log_path, process)
    if wait_ping:
        try:
            wait_until(lambda: service.ping_ok() or process.poll() is not None, START_TIMEOUT_S, "ping")
            assert process.poll() is None, f"app-vision exited with {process.returncode}:\n{service.log()}"
        except AssertionError:
            process.kill()
            process.wait(timeout=5)
            raise
    return service


@dataclass
class Mosquitto:
    """A Mosquitto broker on a fixed free port; stop() and start() again keep the port."""

    port: int
    workdir: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        config = self.workdir / "mosquitto.conf"
        config.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
        with (self.workdir / "mosquitto.log").open("ab") as log:
            self.process = subprocess.Popen([binary, "-c", str(config)], stdout=log, stderr=subprocess.STDOUT)
        wait_until(self._listening, 10.0, f"mosquitto on port {self.port}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=5)

    def _listening(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False
