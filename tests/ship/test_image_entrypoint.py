"""The image's steps without Docker: fresh venv, project install, models fetch, entrypoint as non-root.

No Docker engine runs here, so this test rebuilds the image's file system layout in a temporary
directory (<tmp>/opt = /opt/app-vision, <tmp>/state = /var/lib/app-vision) with the Dockerfile's
own commands: `pip install .` of a copy of what the Dockerfile COPYs, `pip check`, `models-fetch`
into the models directory; then it makes code, configuration and models read-only, and runs the
Dockerfile's ENTRYPOINT with the Dockerfile's ENV (paths mapped) as an unprivileged user (nobody
when the test runs as root, as in CI) against a real Mosquitto. It checks /api/v3/ping, the
Dockerfile's HEALTHCHECK command, that the ENV overrides reached the configuration, and a clean
SIGTERM stop. The CMD flags (--registry -cp=keeper...) are left out: no core-keeper runs here.
Slow: the fresh install takes 1-2 minutes (pip's cache makes later runs faster).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
IMAGE_OPT, IMAGE_STATE = "/opt/app-vision", "/var/lib/app-vision"
COPIED = ("pyproject.toml", "README.md", "models.lock", "service", "res")

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _runtime_stage() -> list[tuple[str, str]]:
    text = (REPO / "Dockerfile").read_text(encoding="utf-8").split("\nFROM ${PYTHON_IMAGE}\n", 1)[1]
    joined = re.sub(r"\\\n", " ", text)
    lines = [
        line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    return [(line.split(" ", 1)[0], line.split(" ", 1)[1].strip()) for line in lines]


def _image_env(root: Path) -> dict[str, str]:
    """The runtime stage's ENV, with image paths mapped into `root`."""
    env: dict[str, str] = {}
    for kind, args in _runtime_stage():
        if kind == "ENV":
            for pair in re.findall(r"(\w+)=(\S+)", args):
                env[pair[0]] = pair[1]
    mapped = {}
    for key, value in env.items():
        value = value.replace(IMAGE_OPT, str(root / "opt")).replace(IMAGE_STATE, str(root / "state"))
        mapped[key] = value.replace("$PATH", "/usr/bin:/bin")
    return mapped


def _json_instruction(kind: str) -> list[str]:
    args = next(a for k, a in _runtime_stage() if k == kind)
    if kind == "HEALTHCHECK":
        args = args.split(" CMD ", 1)[1]
    value: list[str] = json.loads(args)
    return value


def _run(cmd: list[str], **kwargs: Any) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)
    assert result.returncode == 0, (
        f"{' '.join(cmd)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )


def _base_python() -> str:
    """A Python 3.11 outside /root (mode 0700 here), like the image's /usr/local/bin/python3.11."""
    system = shutil.which("python3.11", path="/usr/local/bin:/usr/bin")
    return system or sys.executable


def _make_read_only(path: Path) -> None:
    for item in [path, *path.rglob("*")]:
        if not item.is_symlink():
            item.chmod(stat.S_IMODE(item.stat().st_mode) & ~0o222)


@pytest.fixture(scope="module")
def image_root() -> Iterator[Path]:
    """<root>/src (build context), <root>/opt (what the image ships), <root>/state (the volume)."""
    root = Path(tempfile.mkdtemp(prefix="app-vision-image-"))
    try:
        root.chmod(0o755)  # the unprivileged user must reach opt/ and state/
        src, opt = root / "src", root / "opt"
        src.mkdir()
        for name in COPIED:
            source = REPO / name
            if source.is_dir():
                shutil.copytree(source, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                shutil.copy2(source, src / name)
        venv = opt / "venv"
        _run([_base_python(), "-m", "venv", str(venv)])
        pip_env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PYTHONDONTWRITEBYTECODE": "1"}
        _run([str(venv / "bin" / "pip"), "install", "--quiet", "."], cwd=src, env=pip_env, timeout=900)
        _run([str(venv / "bin" / "pip"), "check"], env=pip_env)
        models = opt / "models"
        fetch = [str(venv / "bin" / "python"), "-m", "service.vision.cli", "models-fetch"]
        _run([*fetch, "--lock", str(src / "models.lock"), "--models-dir", str(models)], cwd=root, env=pip_env,
             timeout=600)  # fmt: skip
        shutil.rmtree(models / "wheels", ignore_errors=True)
        shutil.rmtree(models / "src", ignore_errors=True)
        shutil.copytree(src / "res", opt / "res")
        for directory in ("state", "state/cache", "state/tmp"):
            (root / directory).mkdir(mode=0o750, exist_ok=True)
            if os.geteuid() == 0:
                os.chown(root / directory, 65534, 65534)
        _make_read_only(src)
        _make_read_only(opt)
        yield root
    finally:
        for item in [root, *root.rglob("*")]:
            if not item.is_symlink():
                item.chmod(stat.S_IMODE(item.stat().st_mode) | 0o200)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def broker(image_root: Path) -> Iterator[int]:
    mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(mosquitto).exists():
        pytest.skip("mosquitto not installed: apt-get install mosquitto (done by .ci/run)")
    port = _free_port()
    conf = image_root / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\n")
    proc = subprocess.Popen(
        [mosquitto, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    yield port
    proc.terminate()
    proc.wait(timeout=10)


def _wait_for_ping(url: str, proc: subprocess.Popen[str], timeout_s: float) -> requests.Response:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"entrypoint exited with {proc.returncode}"
        try:
            return requests.get(url, timeout=2)
        except requests.ConnectionError:
            time.sleep(0.5)
    raise AssertionError(f"no answer on {url} within {timeout_s} s")


def test_entrypoint_serves_ping_as_unprivileged_user_on_read_only_tree(image_root: Path, broker: int) -> None:
    port = _free_port()
    env = {
        **_image_env(image_root),
        # What docker-compose.yml adds, pointed at this machine's loopback.
        "EDGEX_SECURITY_SECRET_STORE": "false",
        "SERVICE_HOST": "127.0.0.1",
        "SERVICE_SERVERBINDADDR": "127.0.0.1",
        "SERVICE_PORT": str(port),
        "MESSAGEBUS_HOST": "127.0.0.1",
        "MESSAGEBUS_PORT": str(broker),
    }
    root_user = os.geteuid() == 0  # as in CI: drop to nobody, as the image's USER 2002:2001 does
    uid = gid = 65534 if root_user else None
    groups: list[int] | None = [] if root_user else None
    log_path = image_root / "state" / "entrypoint.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            _json_instruction("ENTRYPOINT"), cwd=env["HOME"], env=env, stdout=log, stderr=subprocess.STDOUT,
            text=True, user=uid, group=gid, extra_groups=groups,
        )  # fmt: skip
    try:
        reply = _wait_for_ping(f"http://127.0.0.1:{port}/api/v3/ping", proc, timeout_s=120)
        assert reply.status_code == 200
        assert reply.json()["serviceName"] == "app-vision"
        health = subprocess.run(
            _json_instruction("HEALTHCHECK"),
            env=env,
            timeout=30,
            check=False,
            user=uid,
            group=gid,
            extra_groups=groups,
        )
        assert health.returncode == 0
        # Access control is on in the image: only ping is open, and the first start printed the
        # first account's password once (on the console, which is this log).
        base = f"http://127.0.0.1:{port}/api/v3"
        assert requests.get(f"{base}/config", timeout=5).status_code == 401
        printed = re.search(r"account 'admin' created with password: (\S+)", log_path.read_text())
        assert printed is not None, log_path.read_text()[-3000:]
        session = requests.Session()
        login = {"user": "admin", "password": printed.group(1)}
        assert session.post(f"{base}/auth/login", json=login, timeout=10).status_code == 200
        config = session.get(f"{base}/config", timeout=5).json()["config"]
        engine = config["AppCustom"]["Engine"]
        assert engine["ModelsDir"] == str(image_root / "opt" / "models")
        assert engine["CacheDir"] == str(image_root / "state" / "cache")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    output = log_path.read_text(errors="replace")
    assert code == 0, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
