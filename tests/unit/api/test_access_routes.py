"""Access control over REST: the real app (create_app + install_access) with a recording sink.

Only ping and the login page are open; the rest needs the page's session cookie or an API token,
and every refusal is a BaseResponse with the right status, counted in access_refused_total."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from service.access import AccessSettings
from service.access_runtime import install_access, is_loopback, open_access, warn_if_exposed
from service.api.access_middleware import SESSION_COOKIE
from service.api.edgex_routes import EdgeXApiDeps
from service.api.server import create_app
from service.config import InsecureSecretStore
from service.edgex.dtos import AddEventRequest, Reading, add_event_request_to_json
from service.edgex.event_types import new_event
from tests.unit.api.harness import RecordingSink

BaseResponseCheck = Callable[[httpx.Response], dict[str, Any]]


class Service:
    def __init__(self, tmp_path: Path) -> None:
        from service.metrics import Metrics

        self.sink = RecordingSink()
        self.metrics = Metrics()
        deps = EdgeXApiDeps(
            "app-vision", "1.2.3", "1.2.3", lambda: {"Service": {}}, InsecureSecretStore({}), self.sink
        )
        self.app = create_app(deps, self.metrics, 64)
        self.access = open_access(AccessSettings(LoginAttempts=3, LoginWindowS=60), tmp_path)
        self.printed: list[str] = []
        install_access(self.app, self.access, self.metrics, self.printed.append)
        self.client = TestClient(self.app, raise_server_exceptions=False)
        self.password = self.printed[0].split("password: ")[1].split()[0]

    def refused(self, reason: str) -> float:
        return self.metrics.registry.get_sample_value("access_refused_total", {"reason": reason}) or 0.0

    def login(self) -> TestClient:
        reply = self.client.post("/api/v3/auth/login", json={"user": "admin", "password": self.password})
        assert reply.status_code == 200, reply.text
        return self.client


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    made = Service(tmp_path)
    with made.client:
        yield made
    made.access.close()


def _event() -> dict[str, Any]:
    reading = Reading.simple("Motion", "Bool", True)
    request = AddEventRequest(
        request_id=str(uuid.uuid4()), event=new_event("pir", "pir", "Motion", [reading])
    )
    return add_event_request_to_json(request)


def test_ping_and_the_login_page_are_open(service: Service) -> None:
    assert service.client.get("/api/v3/ping").status_code == 200
    page = service.client.get("/login")
    assert page.status_code == 200 and 'id="login"' in page.text
    assert "/api/v3/auth/login" in service.client.get("/login.js").text


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v3/config"),
        ("GET", "/api/v3/version"),
        ("GET", "/metrics"),
        ("POST", "/api/v3/trigger"),
        ("POST", "/api/v3/secret"),
        ("GET", "/api/v3/auth/tokens"),
        ("GET", "/api/v3/no-such-route"),  # no route disclosed either
    ],
)
def test_the_rest_needs_credentials(
    service: Service, base_response_schema: BaseResponseCheck, method: str, path: str
) -> None:
    reply = service.client.request(method, path, headers={"X-Correlation-ID": "c-1"})
    assert reply.status_code == 401
    body = base_response_schema(reply)
    assert "log in at /login" in body["message"]
    assert reply.headers["WWW-Authenticate"].startswith("Bearer")
    assert reply.headers["X-Correlation-ID"] == "c-1"
    assert service.refused("missing") == 1
    assert service.sink.events == []


def test_the_page_sends_a_stranger_to_the_login_page(service: Service) -> None:
    reply = service.client.get("/", follow_redirects=False)
    assert (reply.status_code, reply.headers["location"]) == (303, "/login")


def test_login_sets_an_http_only_strict_cookie_and_logout_ends_it(service: Service) -> None:
    client = service.login()
    cookie = next(h for h in client.cookies.jar if h.name == SESSION_COOKIE)
    assert cookie.has_nonstandard_attr("HttpOnly")
    reply_headers = client.post(
        "/api/v3/auth/login", json={"user": "admin", "password": service.password}
    ).headers["set-cookie"]
    assert (
        "HttpOnly" in reply_headers
        and "SameSite=strict" in reply_headers
        and "Max-Age=43200" in reply_headers
    )
    assert client.get("/api/v3/config").status_code == 200
    assert client.get("/api/v3/auth/session").json()["user"] == "admin"
    session = client.cookies[SESSION_COOKIE]
    assert client.post("/api/v3/auth/logout").status_code == 200
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, session)
    stale = client.get("/api/v3/config")
    assert stale.status_code == 401 and "session has ended" in stale.json()["message"]
    assert service.refused("bad_session") == 1


@pytest.mark.parametrize(
    "body",
    [{"user": "admin"}, {"user": "admin", "password": "x", "extra": 1}, {"user": "", "password": "x"}],
)
def test_an_invalid_login_body_is_a_400(
    service: Service, base_response_schema: BaseResponseCheck, body: object
) -> None:
    reply = service.client.post("/api/v3/auth/login", json=body)
    assert reply.status_code == 400
    assert base_response_schema(reply)["message"].startswith("invalid request")


def test_a_wrong_password_is_401_and_repeated_ones_429(
    service: Service, base_response_schema: BaseResponseCheck, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        for _ in range(3):
            reply = service.client.post("/api/v3/auth/login", json={"user": "admin", "password": "guess-123"})
            assert reply.status_code == 401
            assert base_response_schema(reply)["message"] == "unauthorized: wrong user name or password"
        limited = service.client.post(
            "/api/v3/auth/login", json={"user": "admin", "password": service.password}
        )
    assert limited.status_code == 429
    assert "too many failed logins" in base_response_schema(limited)["message"]
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert (service.refused("bad_password"), service.refused("rate_limited")) == (3, 1)
    assert "guess-123" not in caplog.text and service.password not in caplog.text
    assert service.client.get("/api/v3/ping").status_code == 200  # the service carries on


def test_an_api_token_lets_a_script_in_until_it_is_revoked(service: Service) -> None:
    client = service.login()
    made = client.post("/api/v3/auth/tokens", json={"name": "backup"})
    assert made.status_code == 201
    token, token_id = made.json()["token"], made.json()["id"]
    client.cookies.clear()
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v3/config", headers=bearer).status_code == 200
    assert client.post("/api/v3/trigger", json=_event(), headers=bearer).status_code == 200
    assert len(service.sink.events) == 1
    assert client.get("/api/v3/auth/session", headers=bearer).json() == {
        "apiVersion": "v3", "statusCode": 200, "user": "admin", "via": "token"
    }  # fmt: skip
    assert client.post("/api/v3/auth/tokens", json={"name": "more"}, headers=bearer).status_code == 403
    service.login()
    listed = client.get("/api/v3/auth/tokens").json()["tokens"]
    assert [t["name"] for t in listed] == ["backup"] and token not in str(listed)
    assert client.delete(f"/api/v3/auth/tokens/{token_id}").status_code == 200
    assert client.delete(f"/api/v3/auth/tokens/{token_id}").status_code == 404
    client.cookies.clear()
    revoked = client.get("/api/v3/config", headers=bearer)
    assert revoked.status_code == 401 and "unknown or revoked API token" in revoked.json()["message"]


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        ("Bearer avt_garbage", "bad_token"),
        ("Bearer eyJhbGciOi.x.y", "bad_token"),
        ("Basic YWRtaW46eA==", "bad_header"),
        ("Bearer ", "bad_header"),
    ],
)
def test_bad_bearer_tokens_are_refused(service: Service, authorization: str, reason: str) -> None:
    reply = service.client.get("/api/v3/config", headers={"Authorization": authorization})
    assert reply.status_code == 401 and reply.json()["statusCode"] == 401
    assert service.refused(reason) == 1


def test_the_first_password_is_printed_once_and_never_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        first = Service(tmp_path)
        first.access.close()
        second = Service.__new__(Service)  # the next start on the same state directory
        with pytest.raises(IndexError):  # nothing printed, so no password to read
            Service.__init__(second, tmp_path)
    assert "account 'admin' created with password" in first.printed[0]
    assert second.printed == []
    assert first.password not in caplog.text
    assert "first start, account admin created" in caplog.text
    second.access.close()


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("0.0.0.0", False), ("", False)],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_a_warning_when_reachable_from_elsewhere_without_access_control(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        warn_if_exposed("127.0.0.1", protected=False)
        warn_if_exposed("0.0.0.0", protected=True)
        assert caplog.records == []
        warn_if_exposed("0.0.0.0", protected=False)
    assert "access control is off" in caplog.text and "0.0.0.0" in caplog.text
