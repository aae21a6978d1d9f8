"""The fake core-command itself: spec validation of paths, queries and bodies; answers per spec."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.fakes import FakeCommand, FakeCoreCommand, FakeDevice


@pytest.fixture
def fake() -> Iterator[FakeCoreCommand]:
    with FakeCoreCommand() as cc:
        yield cc


def test_valid_requests_pass_and_answers_conform(fake: FakeCoreCommand) -> None:
    base = f"{fake.url}/api/v3/device"
    assert (
        requests.put(f"{base}/name/Random-Boolean-Device/Bool", json={"Bool": "true"}, timeout=2).status_code
        == 200
    )
    reply = requests.get(
        f"{base}/name/Random-Boolean-Device/Bool", params={"ds-returnevent": "true"}, timeout=2
    )
    assert reply.status_code == 200 and reply.json()["event"]["readings"][0]["value"] == "true"
    assert (
        requests.get(f"{base}/all", params={"offset": "0", "limit": "-1"}, timeout=2).json()["totalCount"]
        == 2
    )
    assert (
        requests.get(f"{base}/name/camera-01", timeout=2).json()["deviceCoreCommand"]["profileName"]
        == "onvif-camera"
    )
    assert all(r.valid for r in fake.requests) and fake.response_errors == []


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("PUT", "/device/name/Random-Boolean-Device/Bool", {"json": {"Bool": 1}}),
        ("PUT", "/device/name/Random-Boolean-Device/Bool", {"json": ["Bool"]}),
        (
            "PUT",
            "/device/name/Random-Boolean-Device/Bool",
            {"data": b"{broken", "headers": {"Content-Type": "application/json"}},
        ),
        ("GET", "/device/name/Random-Boolean-Device/Bool", {"params": {"ds-pushevent": "maybe"}}),
        ("GET", "/device/all", {"params": {"limit": "many"}}),
        ("GET", "/device/name/Random-Boolean-Device/Bool", {"headers": {"X-Correlation-ID": "not-a-uuid"}}),
        ("POST", "/device/name/Random-Boolean-Device/Bool", {"json": {}}),
        ("GET", "/nothing/here", {}),
    ],
)
def test_invalid_requests_get_400_and_are_recorded(
    fake: FakeCoreCommand, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    reply = requests.request(method, f"{fake.url}/api/v3{path}", timeout=2, **kwargs)
    assert reply.status_code == 400 and reply.json()["statusCode"] == 400
    (recorded,) = fake.requests
    assert not recorded.valid and recorded.errors and fake.invalid_requests == [recorded]
    assert fake.values["Random-Boolean-Device"]["Bool"] == "true"  # nothing was applied


def test_custom_devices_counts_and_clear() -> None:
    door = FakeDevice("door", "lock", (FakeCommand("Lock", False, True, (("Locked", "Bool"),)),))
    with FakeCoreCommand([door]) as cc:
        for _ in range(3):
            requests.put(f"{cc.url}/api/v3/device/name/door/Lock", json={"Locked": "true"}, timeout=2)
        assert list(cc.counts().values()) == [3] and cc.values == {"door": {"Locked": "true"}}
        cc.clear()
        assert cc.requests == []


def test_down_refuses_connections_and_comes_back(fake: FakeCoreCommand) -> None:
    port = fake.port
    fake.set_down(True)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{fake.url}/api/v3/ping", timeout=2)
    fake.set_down(False)
    assert fake.port == port and requests.get(f"{fake.url}/api/v3/ping", timeout=2).status_code == 200
