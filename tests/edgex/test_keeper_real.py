"""service/edgex/keeper.py against the REAL core-keeper of scripts/edgex-stack.sh (tier `edgex`).

Not collected here (the name does not start with test_): it needs the session fixture
`edgex_stack` of tests/edgex/conftest.py, so it belongs in tests/edgex/test_keeper_real.py. The
lead moves it there; it is kept type- and lint-clean in the meantime.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

from service.edgex.clients import HttpPeer, PeerSettings
from service.edgex.keeper import KeeperClient, Registration, WritableWatcher
from tests.edgex.stack import EdgexStack

pytestmark = pytest.mark.edgex


class _Ping(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # keeper's health check
        body = b'{"apiVersion":"v3","serviceName":"app-vision-test"}'
        self.send_response(200 if self.path == "/api/v3/ping" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def ping_port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ping)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


@pytest.fixture()
def keeper(edgex_stack: EdgexStack) -> Iterator[KeeperClient]:
    url = urlsplit(edgex_stack.url("core-keeper"))
    peer = HttpPeer(PeerSettings("core-keeper", url.hostname or "127.0.0.1", url.port or 59890))
    yield KeeperClient(peer, f"app-vision-test-{uuid.uuid4().hex[:8]}")
    peer.close()


def _health_check(stored: dict[str, Any]) -> Any:
    # go-mod-core-contracts names the field HealthCheck (no json tag); accept either spelling.
    return stored.get("healthCheck") or stored.get("HealthCheck")


def test_register_health_check_and_deregister(keeper: KeeperClient, ping_port: int) -> None:
    service_id = keeper.base_key.rsplit("/", 1)[1]
    reg = Registration(service_id, "127.0.0.1", ping_port, check_interval="1s")
    assert keeper.register(reg) == "created"
    assert keeper.register(reg) == "updated"
    deadline = time.monotonic() + 15
    stored = keeper.registration(service_id)
    while stored is not None and stored.get("status") != "UP" and time.monotonic() < deadline:
        time.sleep(0.5)
        stored = keeper.registration(service_id)
    assert stored is not None and stored["status"] == "UP", stored
    assert _health_check(stored)["path"] == "/api/v3/ping"
    assert keeper.deregister(service_id) is True
    again = keeper.registration(service_id)
    assert again is None or again.get("status") == "HALT"


def test_configuration_push_read_and_writable_watch(keeper: KeeperClient) -> None:
    local: dict[str, Any] = {
        "Writable": {"LogLevel": "INFO"},
        "Service": {"Port": 59760},
        "AppCustom": {"Zones": [[0, 0], [1, 1]]},
    }
    assert keeper.has_configuration() is False
    assert keeper.load_configuration(local) == local
    stored = keeper.configuration()
    assert stored["Writable"] == {"LogLevel": "INFO"}
    service = stored["Service"]
    assert isinstance(service, dict) and str(service["Port"]) == "59760"
    assert stored["AppCustom"] == {"Zones": [[0, 0], [1, 1]]}
    seen: list[dict[str, Any]] = []
    watcher = WritableWatcher(keeper, seen.append, interval_s=0.2)
    watcher.start(initial={"LogLevel": "INFO"})
    try:
        keeper.write(f"{keeper.base_key}/Writable", {"LogLevel": "DEBUG"})
        deadline = time.monotonic() + 5
        while not seen and time.monotonic() < deadline:
            time.sleep(0.1)
        assert seen == [{"LogLevel": "DEBUG"}]
    finally:
        watcher.stop()
    assert keeper.load_configuration(local)["Writable"] == {"LogLevel": "DEBUG"}
