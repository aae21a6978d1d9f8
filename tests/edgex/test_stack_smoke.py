"""Smoke tests of the real EdgeX stack: every service answers, devices load, events reach core-data."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from scripts.edgex.devices_ready import defined_device_names
from tests.edgex.stack import DEVICE_SERVICES, EDGEX_SERVICES, EdgexStack

pytestmark = pytest.mark.edgex

_HTTP_TIMEOUT_S = 10.0
_STORE_WAIT_S = 15.0


def _get_json(url: str, **params: str) -> dict[str, Any]:
    response = httpx.get(url, params=params, timeout=_HTTP_TIMEOUT_S)
    assert response.status_code == 200, f"GET {response.url} -> {response.status_code}: {response.text}"
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("service", EDGEX_SERVICES)
def test_service_answers_ping_with_its_own_name(edgex_stack: EdgexStack, service: str) -> None:
    body = _get_json(f"{edgex_stack.url(service)}/api/v3/ping")

    assert body["apiVersion"] == "v3"
    assert body["serviceName"] == service


@pytest.mark.parametrize("service", DEVICE_SERVICES)
def test_core_metadata_lists_the_devices_of_each_device_service(
    edgex_stack: EdgexStack, service: str
) -> None:
    expected = defined_device_names(edgex_stack.devices_dirs[service])
    body = _get_json(f"{edgex_stack.url('core-metadata')}/api/v3/device/service/name/{service}", limit="1024")

    listed = {device["name"]: device for device in body["devices"]}
    assert expected, f"no devices defined in {edgex_stack.devices_dirs[service]}"
    assert expected <= set(listed), f"missing in core-metadata: {sorted(expected - set(listed))}"
    assert {listed[name]["serviceName"] for name in expected} == {service}


def _readable_command(stack: EdgexStack) -> tuple[str, str]:
    """First (device, command) of device-virtual that core-command can read without Binary values."""
    for device in sorted(defined_device_names(stack.devices_dirs["device-virtual"])):
        body = _get_json(f"{stack.url('core-command')}/api/v3/device/name/{device}")
        for command in body["deviceCoreCommand"]["coreCommands"]:
            types = {p["valueType"] for p in command.get("parameters", [])}
            if command.get("get") and "Binary" not in types:
                return device, command["name"]
    raise AssertionError("device-virtual has no readable non-binary command")


def _stored_event(stack: EdgexStack, event_id: str) -> dict[str, Any]:
    url = f"{stack.url('core-data')}/api/v3/event/id/{event_id}"
    deadline = time.monotonic() + _STORE_WAIT_S
    while True:
        response = httpx.get(url, timeout=_HTTP_TIMEOUT_S)
        if response.status_code == 200:
            event: dict[str, Any] = response.json()["event"]
            return event
        assert time.monotonic() < deadline, f"event {event_id} not in core-data: {response.text}"
        time.sleep(0.2)


def _essence(reading: dict[str, Any]) -> tuple[Any, ...]:
    # Readings come back from core-data without their id, and origin may lose its low digits.
    return tuple(reading.get(k) for k in ("resourceName", "valueType", "value", "objectValue"))


def test_device_virtual_event_pushed_over_the_bus_is_stored_in_core_data(edgex_stack: EdgexStack) -> None:
    device, command = _readable_command(edgex_stack)
    reply = _get_json(
        f"{edgex_stack.url('core-command')}/api/v3/device/name/{device}/{command}",
        **{"ds-pushevent": "true", "ds-returnevent": "true"},
    )
    sent = reply["event"]

    stored = _stored_event(edgex_stack, sent["id"])

    assert (stored["deviceName"], stored["sourceName"]) == (device, command)
    assert stored["profileName"] == sent["profileName"]
    assert [_essence(r) for r in stored["readings"]] == [_essence(r) for r in sent["readings"]]
    assert stored["readings"], "the stored event has no readings"
