"""Drive scripts/edgex-stack.sh from the tests: build, start, describe and stop the real EdgeX stack."""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "edgex-stack.sh"
BUILD_COMMAND = "scripts/edgex-stack.sh build"

# Every service the script starts by default, in start order.
EDGEX_SERVICES = (
    "core-metadata",
    "core-data",
    "core-command",
    "support-notifications",
    "core-keeper",
    "device-virtual",
    "device-rest",
)
DEVICE_SERVICES = ("device-virtual", "device-rest")

_OUTPUT_TAIL_CHARS = 4000


class StackError(RuntimeError):
    """scripts/edgex-stack.sh failed; the message carries the command and its output tail."""


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@dataclass(frozen=True, slots=True)
class EdgexStack:
    """A running stack as described by `scripts/edgex-stack.sh env`."""

    run_dir: Path
    log_dir: Path
    pg_port: int
    mqtt_host: str
    mqtt_port: int
    urls: Mapping[str, str]
    devices_dirs: Mapping[str, Path]
    profiles_dirs: Mapping[str, Path]

    def url(self, service: str) -> str:
        """Base URL (no trailing slash) of a running EdgeX service, e.g. http://127.0.0.1:59881."""
        try:
            return self.urls[service]
        except KeyError:
            raise StackError(f"{service} is not part of this stack (started: {sorted(self.urls)})") from None

    def log_file(self, service: str) -> Path:
        return self.log_dir / f"{service}.log"


def parse_state(text: str) -> EdgexStack:
    """Build an EdgexStack from the KEY=VALUE lines printed by `scripts/edgex-stack.sh env`."""
    values = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    services = values.get("EDGEX_STACK_SERVICES", "").split()
    keys = {svc: svc.upper().replace("-", "_") for svc in services}
    return EdgexStack(
        run_dir=Path(values["EDGEX_STACK_RUN_DIR"]),
        log_dir=Path(values["EDGEX_STACK_LOG_DIR"]),
        pg_port=int(values["EDGEX_STACK_PG_PORT"]),
        mqtt_host=values["EDGEX_STACK_MQTT_HOST"],
        mqtt_port=int(values["EDGEX_STACK_MQTT_PORT"]),
        urls={svc: values[f"EDGEX_STACK_URL_{key}"] for svc, key in keys.items()},
        devices_dirs={
            svc: Path(values[f"EDGEX_STACK_{key}_DEVICES_DIR"])
            for svc, key in keys.items()
            if svc in DEVICE_SERVICES
        },
        profiles_dirs={
            svc: Path(values[f"EDGEX_STACK_{key}_PROFILES_DIR"])
            for svc, key in keys.items()
            if svc in DEVICE_SERVICES
        },
    )


def run_script(command: str, timeout_s: float) -> str:
    """Run one sub-command of scripts/edgex-stack.sh; return stdout, raise StackError on failure."""
    argv = ["bash", str(SCRIPT), command]
    try:
        done = subprocess.run(
            argv, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise StackError(f"{' '.join(argv)} did not finish within {timeout_s:.0f} s") from exc
    logger.info("%s -> exit %d\n%s%s", " ".join(argv), done.returncode, done.stderr, done.stdout)
    if done.returncode != 0:
        tail = (done.stderr + done.stdout)[-_OUTPUT_TAIL_CHARS:]
        raise StackError(f"{' '.join(argv)} failed with exit {done.returncode}:\n{tail}")
    return done.stdout


def binaries_cached() -> bool:
    """True when `scripts/edgex-stack.sh build` has filled the cache for the pinned commits."""
    done = subprocess.run(["bash", str(SCRIPT), "cached"], cwd=REPO_ROOT, capture_output=True, check=False)
    return done.returncode == 0
