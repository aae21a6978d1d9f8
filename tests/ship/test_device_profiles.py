"""Every device profile and device file under device-profiles/ loads and matches core-metadata's DTOs.

Schemas come from shared/edgex/openapi/core-metadata.yaml (CreateDeviceProfile, CreateDevice),
made strict (unknown keys rejected). One deliberate widening: the spec's valueType enum omits
`Object`/`ObjectArray`, which go-mod-core-contracts (common.ValueTypeObject) and the real services
accept (device-rest's sample-json, device-virtual's Fixed-Object-Device, our app-vision-result and
app-vision-analytics).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

PROFILES_ROOT = Path(__file__).resolve().parents[2] / "device-profiles"
SERVICES = ("device-rest", "device-virtual")
OBJECT_TYPES = ("Object", "ObjectArray")


def _yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _profile_files() -> list[Path]:
    files = [p for svc in SERVICES for p in sorted((PROFILES_ROOT / svc / "profiles").glob("*.y*ml"))]
    ours = [
        PROFILES_ROOT / "app-vision-result.yaml",
        PROFILES_ROOT / "app-vision-analytics.yaml",
        PROFILES_ROOT / "app-vision-camera-health.yaml",
        PROFILES_ROOT / "app-vision-mode.yaml",
    ]
    return [*files, *(path for path in ours if path.is_file())]


def _device_files() -> list[Path]:
    return [p for svc in SERVICES for p in sorted((PROFILES_ROOT / svc / "devices").glob("*.y*ml"))]


@pytest.fixture(scope="module")
def profile_validator(schema_of: Callable[..., dict[str, Any]]) -> jsonschema.Draft202012Validator:
    schema = schema_of("core-metadata.yaml", "CreateDeviceProfile", strict=True)
    props = schema["properties"]["deviceResources"]["items"]["properties"]["properties"]
    props["properties"]["valueType"]["enum"] += list(OBJECT_TYPES)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="module")
def device_validator(schema_of: Callable[..., dict[str, Any]]) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema_of("core-metadata.yaml", "CreateDevice", strict=True))


@pytest.fixture(scope="module")
def profiles() -> dict[str, dict[str, Any]]:
    loaded = {}
    for path in _profile_files():
        doc = _yaml(path)
        assert doc["name"] not in loaded, f"duplicate profile name {doc['name']} in {path}"
        loaded[doc["name"]] = doc
    return loaded


def test_layout_has_both_device_services() -> None:
    for svc in SERVICES:
        assert list((PROFILES_ROOT / svc / "profiles").glob("*.yaml")), f"no profiles for {svc}"
        assert list((PROFILES_ROOT / svc / "devices").glob("*.yaml")), f"no devices for {svc}"


@pytest.mark.parametrize("path", _profile_files(), ids=lambda p: p.name)
def test_profile_matches_core_metadata_schema(
    path: Path, profile_validator: jsonschema.Draft202012Validator
) -> None:
    doc = _yaml(path)
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in profile_validator.iter_errors(doc)
    ]
    assert errors == [], f"{path}: {errors}"
    resources = {r["name"]: r for r in doc.get("deviceResources", [])}
    assert len(resources) == len(doc.get("deviceResources", [])), "duplicate resource names"
    for command in doc.get("deviceCommands", []):
        for op in command["resourceOperations"]:
            assert op["deviceResource"] in resources, (
                f"{command['name']} names unknown {op['deviceResource']}"
            )
    for res in resources.values():
        if res["properties"]["valueType"] == "Binary":
            assert res["properties"].get("mediaType"), f"Binary resource {res['name']} needs a mediaType"


@pytest.mark.parametrize("path", _device_files(), ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_devices_match_core_metadata_schema(
    path: Path, device_validator: jsonschema.Draft202012Validator, profiles: dict[str, dict[str, Any]]
) -> None:
    service = path.parent.parent.name
    own_profiles = {_yaml(p)["name"] for p in (path.parent.parent / "profiles").glob("*.yaml")}
    devices = _yaml(path)["deviceList"]
    assert devices, f"{path} lists no device"
    for device in devices:
        errors = [e.message for e in device_validator.iter_errors(device)]
        assert errors == [], f"{path} {device.get('name')}: {errors}"
        assert device["serviceName"] == service, f"{device['name']} is mounted into {service}"
        assert device["profileName"] in own_profiles, (
            f"{device['name']}: profile {device['profileName']} is not loaded by {service}"
        )


def test_device_names_are_unique_across_services() -> None:
    names = [d["name"] for p in _device_files() for d in _yaml(p)["deviceList"]]
    assert len(names) == len(set(names)), names


def test_demo_site_has_two_cameras_pir_door_temperature_and_alarm() -> None:
    by_profile: dict[str, list[str]] = {}
    for path in _device_files():
        for device in _yaml(path)["deviceList"]:
            by_profile.setdefault(device["profileName"], []).append(device["name"])
    assert len(by_profile["app-vision-camera"]) == 2
    for profile in ("app-vision-pir", "app-vision-door", "app-vision-temperature", "app-vision-alarm"):
        assert by_profile.get(profile), f"no device uses {profile}"


def test_camera_profile_takes_jpeg_and_png(profiles: dict[str, dict[str, Any]]) -> None:
    media = {
        r["name"]: (r["properties"]["valueType"], r["properties"]["mediaType"])
        for r in profiles["app-vision-camera"]["deviceResources"]
    }
    assert media == {"jpeg": ("Binary", "image/jpeg"), "png": ("Binary", "image/png")}


@pytest.mark.parametrize(
    ("profile", "resource", "value_type"),
    [
        ("app-vision-pir", "Motion", "Bool"),
        ("app-vision-door", "Open", "Bool"),
        ("app-vision-temperature", "Temperature", "Float32"),
    ],
)
def test_sensor_resources_are_readable(
    profiles: dict[str, dict[str, Any]], profile: str, resource: str, value_type: str
) -> None:
    # device-rest only accepts a pushed value for a resource it may read.
    props = {r["name"]: r["properties"] for r in profiles[profile]["deviceResources"]}[resource]
    assert props["valueType"] == value_type
    assert "R" in props["readWrite"]


def test_alarm_is_settable_and_disables_virtual_randomisation(profiles: dict[str, dict[str, Any]]) -> None:
    alarm = profiles["app-vision-alarm"]
    props = {r["name"]: r["properties"] for r in alarm["deviceResources"]}
    for name in ("Light", "Siren"):
        assert (props[name]["valueType"], props[name]["readWrite"]) == ("Bool", "RW")
        # device-virtual reads a random value until EnableRandomization_<name> is false.
        assert props[f"EnableRandomization_{name}"]["readWrite"] == "W"
    command = {c["name"]: c for c in alarm["deviceCommands"]}["Alarm"]
    assert command["readWrite"] == "W"
    ops = {op["deviceResource"]: op.get("defaultValue") for op in command["resourceOperations"]}
    assert ops["EnableRandomization_Light"] == ops["EnableRandomization_Siren"] == "false"


@pytest.mark.parametrize(
    ("mutation", "fragment"),
    [
        (lambda p: p["deviceResources"][0]["properties"].update(valuetype="Bool"), "valuetype"),
        (lambda p: p["deviceResources"][0]["properties"].update(readWrite="X"), "'X'"),
        (lambda p: p["deviceResources"][0]["properties"].pop("valueType"), "valueType"),
        (lambda p: p.pop("name"), "name"),
    ],
    ids=["unknown-key", "bad-readWrite", "missing-valueType", "missing-name"],
)
def test_schema_rejects_broken_profiles(
    profile_validator: jsonschema.Draft202012Validator,
    mutation: Callable[[dict[str, Any]], object],
    fragment: str,
) -> None:
    doc = _yaml(PROFILES_ROOT / "device-rest" / "profiles" / "app-vision-pir.yaml")
    mutation(doc)
    messages = " ".join(e.message for e in profile_validator.iter_errors(doc))
    assert fragment in messages


def test_schema_rejects_device_without_protocols(device_validator: jsonschema.Draft202012Validator) -> None:
    device = _yaml(PROFILES_ROOT / "device-rest" / "devices" / "app-vision-devices.yaml")["deviceList"][0]
    device.pop("protocols")
    assert any("protocols" in e.message for e in device_validator.iter_errors(device))


def test_health_profile_covers_every_health_event_reading(profiles: dict[str, dict[str, Any]]) -> None:
    """Each reading build_health_request writes is a resource of app-vision-camera-health, typed alike."""
    from service.pipeline.actions.health_event import build_health_request
    from service.pipeline.actions.payloads import HealthPayload

    payload = HealthPayload(
        camera="cam-1",
        origin=1,
        state="offline",
        reason="reconnecting failed",
        framesIn=3,
        framesDecoded=2,
        framesAnalysed=1,
        reconnects=4,
        lastError="refused",
    )
    event = build_health_request(payload).event
    resources = {
        r["name"]: r["properties"]["valueType"] for r in profiles[event.profile_name]["deviceResources"]
    }
    written = {r.resource_name: r.value_type for r in event.readings}
    assert written == resources
    assert {r.resource_name: r.value for r in event.readings}["Online"] == "false"
