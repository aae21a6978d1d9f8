"""service/edgex/keeper.py against a core-keeper stand-in that checks every exchange with core-keeper.yaml.

The stand-in (a real HTTP server on loopback) keeps registrations and KV pairs in memory, emulates
keeper's `flatten`, and validates each request and its own reply with openapi-core against
shared/edgex/openapi/core-keeper.yaml, plus a strict schema for registration bodies (unknown keys
rejected). tests/ship/test_keeper_real.py runs the same client against the real core-keeper.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from service.edgex.clients import HttpPeer, PeerSettings
from service.edgex.keeper import (
    KeeperClient,
    Registration,
    WritableWatcher,
    config_topic,
    decode_pairs,
    encode_tree,
    parse_provider_url,
)
from tests.fakes.keeper import FakeKeeper, flatten, running_keeper

HOST = "http://127.0.0.1"


@pytest.fixture()
def keeper() -> Iterator[FakeKeeper]:
    with running_keeper() as fake:
        yield fake


@pytest.fixture()
def client(keeper: FakeKeeper) -> Iterator[KeeperClient]:
    peer = HttpPeer(PeerSettings("core-keeper", "127.0.0.1", keeper.port, timeout_s=3.0))
    yield KeeperClient(peer, "app-vision")
    peer.close()


def test_register_posts_then_puts_with_ping_health_check(client: KeeperClient, keeper: FakeKeeper) -> None:
    reg = Registration("app-vision", "edgex-app-vision", 59760, check_interval="15s")
    assert client.register(reg) == "created"
    assert client.register(reg) == "updated"
    stored = client.registration("app-vision")
    assert stored is not None
    assert (stored["host"], stored["port"]) == ("edgex-app-vision", 59760)
    assert stored["healthCheck"] == {"interval": "15s", "path": "/api/v3/ping", "type": "http"}


def test_deregister_deletes_and_reports_absence(client: KeeperClient, keeper: FakeKeeper) -> None:
    client.register(Registration("app-vision", "localhost", 59760))
    assert client.deregister("app-vision") is True
    assert client.registration("app-vision") is None
    assert client.deregister("app-vision") is False
    assert "/api/v3/registry/serviceId/app-vision" in keeper.raw_paths


def test_first_start_pushes_local_config_then_reads_kv(client: KeeperClient, keeper: FakeKeeper) -> None:
    local: dict[str, Any] = {
        "Writable": {"LogLevel": "INFO", "Telemetry": {"Interval": "30s"}},
        "Service": {"Port": 59760, "EnableNameFieldEscape": False},
        "AppCustom": {"Pipeline": {"Zones": [[0, 0], [10, 0], [10, 10]]}},
    }
    assert client.has_configuration() is False
    assert client.load_configuration(local) == local  # first start: the local tree is used as is
    assert keeper.kv["edgex/v4/app-vision/Writable/LogLevel"] == "INFO"
    assert keeper.kv["edgex/v4/app-vision/AppCustom/Pipeline/Zones"] == "[[0, 0], [10, 0], [10, 10]]"
    # Keys travel URL-escaped as one path segment, as Go's EscapeAndJoinPath does.
    assert "/api/v3/kvs/key/edgex%2Fv4%2Fapp-vision" in keeper.raw_paths
    keeper.kv["edgex/v4/app-vision/Writable/LogLevel"] = "DEBUG"  # an operator edits KV
    loaded = client.load_configuration(local)
    assert loaded["Writable"] == {"LogLevel": "DEBUG", "Telemetry": {"Interval": "30s"}}
    assert loaded["Service"] == {"Port": "59760", "EnableNameFieldEscape": "false"}  # text, as in Go
    assert loaded["AppCustom"] == local["AppCustom"]
    assert client.load_configuration(local, overwrite=True) == local
    assert keeper.kv["edgex/v4/app-vision/Writable/LogLevel"] == "INFO"


def test_common_configuration_is_read_from_the_bootstrapper_keys(client: KeeperClient) -> None:
    client.write("edgex/v4/core-common-config-bootstrapper/all-services", {"MessageBus": {"Host": "broker"}})
    client.write("edgex/v4/core-common-config-bootstrapper/app-services", {"Clients": {"core-metadata": {}}})
    all_services, app_services = client.common_configuration()
    assert all_services == {"MessageBus": {"Host": "broker"}}
    assert app_services == {}  # keeper stores no key for an empty map


def test_writable_watcher_applies_changes_once(client: KeeperClient) -> None:
    client.push_configuration({"Writable": {"LogLevel": "INFO"}, "Service": {"Port": 59760}})
    seen: list[dict[str, Any]] = []
    watcher = WritableWatcher(client, seen.append, interval_s=0.05)
    watcher.start(initial={"LogLevel": "INFO"})
    try:
        time.sleep(0.2)
        assert seen == []
        client.write("edgex/v4/app-vision/Writable", {"LogLevel": "DEBUG"})
        deadline = time.monotonic() + 3.0
        while not seen and time.monotonic() < deadline:
            time.sleep(0.02)
        assert seen == [{"LogLevel": "DEBUG"}]
        assert watcher.refresh() is False
    finally:
        watcher.stop()


def test_ping_is_false_when_keeper_is_down() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    peer = HttpPeer(PeerSettings("core-keeper", "127.0.0.1", port, timeout_s=1.0))
    assert KeeperClient(peer, "app-vision").ping() is False


def test_stand_in_rejects_inline_health_check(keeper: FakeKeeper) -> None:
    # PROTOCOL.md calls the fields "inlined"; the spec and go-mod-registry nest them in healthCheck.
    body = {"apiVersion": "v3", "registration": {"serviceId": "x", "host": "h", "port": 1, "interval": "10s",
                                                 "path": "/api/v3/ping", "type": "http"}}  # fmt: skip
    requests.post(f"{HOST}:{keeper.port}/api/v3/registry", json=body, timeout=3)
    assert any("healthCheck" in e for e in keeper.spec_errors)
    keeper.spec_errors.clear()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("keeper.http://edgex-core-keeper:59890", ("keeper", "http", "edgex-core-keeper", 59890)),
        ("keeper.https://127.0.0.1:1", ("keeper", "https", "127.0.0.1", 1)),
        ("consul.http://edgex-core-consul:8500", ValueError),
        ("keeper.http://edgex-core-keeper", ValueError),
        ("keeper.ftp://host:1", ValueError),
        ("none", ValueError),
    ],
)
def test_parse_provider_url(text: str, expected: object) -> None:
    if expected is ValueError:
        with pytest.raises(ValueError, match="config provider"):
            parse_provider_url(text)
    else:
        url = parse_provider_url(text)
        assert (url.type, url.protocol, url.host, url.port) == expected


@pytest.mark.parametrize(
    ("tree", "stored"),
    [
        (
            {"A": {"B": {"C": "x"}}, "D": 1, "E": True, "F": 1.5, "G": None},
            {"A/B/C": "x", "D": "1", "E": "true", "F": "1.5"},
        ),
        (
            {"Rules": [{"Name": "r1", "Labels": ["person"]}], "Empty": [], "Text": "[not json"},
            {"Rules": '[{"Name": "r1", "Labels": ["person"]}]', "Empty": "[]", "Text": "[not json"},
        ),
    ],
)
def test_values_are_stored_as_text_and_read_back(tree: dict[str, Any], stored: dict[str, str]) -> None:
    pairs = flatten("p", encode_tree(tree))
    assert pairs == {f"p/{key}": value for key, value in stored.items()}
    back = decode_pairs("p", pairs.items())
    assert back["Rules" if "Rules" in tree else "A"] == tree["Rules" if "Rules" in tree else "A"]


def test_bytes_cannot_be_stored() -> None:
    with pytest.raises(ValueError, match="configuration key Blob"):
        encode_tree({"Blob": b"\x00"})


def test_decode_rejects_a_key_that_is_both_value_and_section() -> None:
    with pytest.raises(ValueError, match="both a value and a section"):
        decode_pairs("p", [("p/A", "1"), ("p/A/B", "2")])


def test_config_topic() -> None:
    assert config_topic("app-vision") == "edgex/configs/edgex/v4/app-vision/Writable/#"
