"""docker-compose.yml: valid Compose Specification, and EdgeX 4.0.1's own conventions.

No Docker engine runs here, so the file is validated (check-jsonschema's vendored compose-spec
schema) and compared field by field with edgex-compose v4.0.1 docker-compose-no-secty.yml.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.shared_material import REFERENCE_DIR

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"
REFERENCE = REFERENCE_DIR / "edgex-compose-4.0.1-no-secty.yml"
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"
EDGEX_SERVICES = (
    "mqtt-broker", "database", "core-keeper", "core-common-config-bootstrapper", "core-metadata",
    "core-data", "core-command", "support-notifications", "device-virtual", "device-rest", "ui",
)  # fmt: skip
KEEPER_FLAG = "-cp=keeper.http://edgex-core-keeper:59890"


def _dotenv() -> dict[str, str]:
    pairs = {}
    for line in (REPO / ".env").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def _interpolate(node: Any, env: dict[str, str]) -> Any:
    if isinstance(node, str):
        return re.sub(r"\$\{([A-Z0-9_]+)\}", lambda m: env[m.group(1)], node)
    if isinstance(node, list):
        return [_interpolate(item, env) for item in node]
    if isinstance(node, dict):
        return {key: _interpolate(value, env) for key, value in node.items()}
    return node


def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        loaded: dict[str, Any] = yaml.safe_load(fh)
    return loaded


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return _interpolate(_load(COMPOSE), _dotenv())  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    if not REFERENCE.is_file():
        pytest.fail(f"{REFERENCE} missing: shared/ must sit beside the repository")
    return _load(REFERENCE)


def _check_compose_spec(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_compose_file_validates_against_compose_spec() -> None:
    result = _check_compose_spec(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("  restart: always\n", "  restart: [always]\n"),  # inside the shared x- block (merged by <<)
        ("    hostname: edgex-app-vision\n", "    hostname: edgex-app-vision\n    colour: red\n"),
    ],
    ids=["merged-anchor-type", "unknown-key"],
)
def test_compose_spec_check_rejects_broken_copies(tmp_path: Path, old: str, new: str) -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    assert old in text
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    assert _check_compose_spec(broken).returncode != 0


def test_commented_camera_recipes_are_valid_when_uncommented(tmp_path: Path) -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("#  device-onvif-camera:"))
    block = []
    for line in lines[start:]:
        if not line.startswith("#  ") and line != "#":
            break
        block.append(line[1:])
    recipe = "\n".join(block)
    assert "device-usb-camera:" in recipe
    enabled = tmp_path / "docker-compose.yml"
    enabled.write_text(text.replace("\nservices:\n", "\nservices:\n" + recipe + "\n", 1), encoding="utf-8")
    result = _check_compose_spec(enabled)
    assert result.returncode == 0, result.stdout + result.stderr
    services = _load(enabled)["services"]
    assert services["device-usb-camera"]["user"] == "root:root"
    assert services["device-onvif-camera"]["read_only"] is True


def test_stack_has_every_edgex_service_and_app_vision(compose: dict[str, Any]) -> None:
    assert compose["name"] == "edgex"
    assert set(compose["services"]) == {*EDGEX_SERVICES, "app-vision"}
    for name, svc in compose["services"].items():
        for dep in svc.get("depends_on", []):
            assert dep in compose["services"], f"{name} depends on unknown {dep}"


@pytest.mark.parametrize("name", EDGEX_SERVICES)
def test_edgex_service_matches_reference(
    compose: dict[str, Any], reference: dict[str, Any], name: str
) -> None:
    ours, ref = compose["services"][name], reference["services"][name]
    assert ours["image"] == ref["image"]
    assert ours["container_name"] == ref["container_name"] == ours["hostname"]
    env = ours.get("environment", {})
    assert env.items() >= ref.get("environment", {}).items()
    assert set(env) - set(ref.get("environment", {})) <= {"DEVICE_PROFILESDIR", "DEVICE_DEVICESDIR"}
    assert sorted(ours.get("command", [])) == sorted(ref.get("command", []))
    assert sorted(
        f"{p['host_ip']}:{p['published']}:{p['target']}"
        if "host_ip" in p
        else f"{p['published']}:{p['target']}"
        for p in ref.get("ports", [])
    ) == sorted(ours.get("ports", []))
    for key in ("read_only", "security_opt", "user", "tmpfs"):
        assert ours.get(key) == ref.get(key), key
    assert set(ref.get("depends_on", {})) <= set(ours.get("depends_on", [])) | {"mqtt-broker"}


def test_app_vision_follows_edgex_app_service_conventions(compose: dict[str, Any]) -> None:
    app = compose["services"]["app-vision"]
    containers = {svc["container_name"] for svc in compose["services"].values()}
    env = app["environment"]
    assert app["container_name"] == app["hostname"] == env["SERVICE_HOST"] == "edgex-app-vision"
    assert env["EDGEX_SECURITY_SECRET_STORE"] == "false"
    assert env["MESSAGEBUS_HOST"] == "edgex-mqtt-broker"
    for client in ("CORE_COMMAND", "CORE_DATA", "CORE_METADATA", "SUPPORT_NOTIFICATIONS"):
        host = env[f"CLIENTS_{client}_HOST"]
        assert host == "edgex-" + client.lower().replace("_", "-") and host in containers
    assert app["command"] == ["--registry", KEEPER_FLAG]
    assert app["ports"] == ["127.0.0.1:59760:59760"]
    assert (app["read_only"], app["user"], app["security_opt"]) == (
        True,
        "2002:2001",
        ["no-new-privileges:true"],
    )
    state = [v for v in app["volumes"] if v["type"] == "volume"]
    assert [(v["source"], v["target"]) for v in state] == [("app-vision-data", "/var/lib/app-vision")]
    assert "app-vision-data" in compose["volumes"]
    assert app["build"]["context"] == "."


def test_app_vision_matches_the_dockerfile(compose: dict[str, Any]) -> None:
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    app = compose["services"]["app-vision"]
    assert 'VOLUME ["/var/lib/app-vision"]' in dockerfile
    assert f"USER {app['user']}" in dockerfile
    assert "EXPOSE 59760" in dockerfile
    assert f'CMD ["--registry", "{KEEPER_FLAG}"]' in dockerfile


@pytest.mark.parametrize("name", ["device-rest", "device-virtual"])
def test_device_services_load_the_project_profiles(compose: dict[str, Any], name: str) -> None:
    svc = compose["services"][name]
    binds = {
        v["target"]: v for v in svc["volumes"] if v["type"] == "bind" and v["target"] != "/etc/localtime"
    }
    for kind, env_key in (("profiles", "DEVICE_PROFILESDIR"), ("devices", "DEVICE_DEVICESDIR")):
        mount = binds[svc["environment"][env_key]]
        assert mount["read_only"] is True
        source = (REPO / mount["source"]).resolve()
        assert source == REPO / "device-profiles" / name / kind
        assert list(source.glob("*.yaml")), f"{source} is empty"


def test_versions_live_in_dotenv() -> None:
    raw = _load(COMPOSE)
    env = _dotenv()
    for name, svc in raw["services"].items():
        tag = svc["image"].rsplit(":", 1)[-1]
        assert re.fullmatch(r"\$\{[A-Z0-9_]+\}", tag), f"{name}: image tag {tag} is not a .env variable"
        assert tag[2:-1] in env
    assert env["EDGEX_VERSION"] == "4.0.1"


def test_only_the_ui_is_reachable_from_the_lan(compose: dict[str, Any]) -> None:
    for name, svc in compose["services"].items():
        for port in svc.get("ports", []):
            assert port.startswith("127.0.0.1:") or name == "ui", f"{name} publishes {port} on all interfaces"
