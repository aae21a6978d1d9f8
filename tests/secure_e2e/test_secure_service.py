"""The real `app-vision run` in EdgeX secure mode, against FakeOpenBao (validated against OpenBao's
captured OpenAPI document), Mosquitto with a password file and TLS only, and core-command /
support-notifications stand-ins that answer 401 without a JWT OpenBao vouches for.

The module shares one running service; its tests run in file order (the outage tests last)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import jwt as pyjwt
import pytest

from tests.fakes.http_fake import RecordedRequest
from tests.secure_e2e.conftest import SecureStack
from tests.secure_e2e.stack import BUS_PASSWORD, Caller, launch, secure_env, wait_until
from tests.service.harness import ServiceProcess

pytestmark = pytest.mark.bus


def env_for(stack: SecureStack) -> dict[str, str]:
    return secure_env(stack.bao, stack.broker.port, stack.command.port, stack.notifications.port)


@pytest.fixture(scope="module")
def service(stack: SecureStack) -> Iterator[ServiceProcess]:
    running = launch(stack.workdir, env_for(stack))
    yield running
    code, _ = running.terminate()
    assert code == 0, running.log()
    assert stack.bao.invalid_requests == [], [
        (r.method, r.path, r.errors) for r in stack.bao.invalid_requests
    ]
    assert stack.command.invalid_requests == [] and stack.notifications.invalid_requests == []


@pytest.fixture(scope="module")
def caller(service: ServiceProcess) -> Caller:
    return Caller(service.base_url)


def notified(stack: SecureStack, room: str) -> list[dict[str, object]]:
    return [n for n in stack.notifications.notifications if room in (n.get("labels") or [])]


def bearer(request: RecordedRequest) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    assert scheme == "Bearer", request.headers
    return token


def mints(stack: SecureStack) -> int:
    return sum(
        1 for r in stack.bao.requests if r.path == "/v1/identity/oidc/token/app-vision" and r.status == 200
    )


def test_it_starts_from_the_token_file_and_takes_the_bus_credentials_from_the_store(
    stack: SecureStack, service: ServiceProcess
) -> None:
    paths = [(r.method, r.path, r.headers.get("X-Vault-Token")) for r in stack.bao.requests]
    assert paths[0] == ("GET", "/v1/auth/token/lookup-self", stack.bao.token)
    assert ("GET", "/v1/secret/edgex/app-vision/message-bus", stack.bao.token) in paths
    log = service.log()
    assert f"token from {stack.bao.token_file}" in log
    # the broker listens with TLS only and wants the password: being connected is both
    wait_until(lambda: f"connected to MQTT broker tls://127.0.0.1:{stack.broker.port}" in service.log(), 15,
               "the TLS connection with the store's credentials")  # fmt: skip


def test_actions_carry_a_jwt_the_store_vouches_for(stack: SecureStack, service: ServiceProcess) -> None:
    stack.device.temperature("hall")
    wait_until(lambda: len(notified(stack, "hall")) == 1, 20, "the notification")
    wait_until(lambda: any(r.status == 200 for r in stack.command.requests), 20, "the command")
    wait_until(lambda: stack.device.result_count() >= 1, 20, "the result event over TLS")
    sent = [r for r in stack.command.requests + stack.notifications.requests if r.method != "GET"]
    assert sent and all(r.status < 300 for r in sent), [(r.path, r.status) for r in sent]
    for request in sent:
        claims = pyjwt.decode(bearer(request), options={"verify_signature": False})
        assert (claims["iss"], claims["aud"], claims["name"]) == ("/v1/identity/oidc", "edgex", "app-vision")
    assert mints(stack) >= 1


def test_incoming_calls_need_a_valid_jwt_except_ping(stack: SecureStack, caller: Caller) -> None:
    assert caller.get("/api/v3/ping").status_code == 200
    bao = stack.bao
    refused = {
        "missing": None,
        "garbage": "garbage",
        "expired": bao.mint_jwt(ttl_s=5, issued_at=bao.now() - 70),
        "wrong audience": bao.mint_jwt(audience="not-edgex"),
    }
    for reason, token in refused.items():
        for path in ("/api/v3/version", "/api/v3/config", "/api/v3/alerts", "/metrics"):
            answer = caller.get(path, token)
            assert answer.status_code == 401, (reason, path, answer.text)
            body = answer.json()
            assert (body["apiVersion"], body["statusCode"]) == ("v3", 401)
            assert reason in body["message"]
    valid = bao.mint_jwt()
    assert caller.get("/api/v3/version", valid).json()["serviceName"] == "app-vision"
    assert caller.get("/api/v3/config", valid).status_code == 200
    assert caller.get("/metrics", valid).status_code == 200
    introspected = [r for r in bao.requests if r.path == "/v1/identity/oidc/introspect"]
    assert any(r.json == {"token": valid} for r in introspected)


def test_post_secret_writes_to_the_stores_folder(stack: SecureStack, caller: Caller) -> None:
    body = {
        "apiVersion": "v3",
        "secretName": "camera-door",
        "secretData": [{"key": "username", "value": "viewer"}, {"key": "password", "value": "door-pw-1"}],
    }
    assert caller.post("/api/v3/secret", body).status_code == 401
    assert stack.bao.secret("camera-door") is None
    answer = caller.post("/api/v3/secret", body, stack.bao.mint_jwt())
    assert answer.status_code == 201, answer.text
    assert stack.bao.secret("camera-door") == {"username": "viewer", "password": "door-pw-1"}


def test_a_401_from_a_peer_is_retried_once_with_a_fresh_jwt(
    stack: SecureStack, service: ServiceProcess
) -> None:
    before = mints(stack)
    stack.notifications.fail_next(401, "token expired")
    stack.device.temperature("garage")
    wait_until(lambda: len(notified(stack, "garage")) == 1, 20, "the notification after the 401")
    assert mints(stack) > before
    assert "answered 401 to POST /notification: retrying with a fresh JWT" in service.log()


def test_a_store_gone_mid_run_holds_deliveries_and_loses_nothing(
    stack: SecureStack, service: ServiceProcess, caller: Caller
) -> None:
    token = stack.bao.mint_jwt()
    stack.bao.go_away()
    try:
        time.sleep(3.5)  # past the cached JWT's refresh point: the next call must mint
        stack.device.temperature("attic")
        wait_until(lambda: "no JWT for the call" in service.log(), 20, "the clear delivery error")
        answer = caller.get("/api/v3/version", token)
        assert answer.status_code == 503 and "secret store" in answer.json()["message"]
        time.sleep(2)
        assert notified(stack, "attic") == []
    finally:
        stack.bao.come_back()
    wait_until(lambda: len(notified(stack, "attic")) == 1, 30, "the held notification")
    time.sleep(2)
    assert len(notified(stack, "attic")) == 1


def test_a_revoked_store_token_is_a_clear_error_until_setup_issues_a_new_one(
    stack: SecureStack, service: ServiceProcess
) -> None:
    stack.bao.revoke(stack.bao.token)
    time.sleep(3.5)
    stack.device.temperature("cellar")
    wait_until(lambda: "still holds the same one" in service.log(), 20, "the refused-token error")
    time.sleep(1)
    assert notified(stack, "cellar") == []
    new = stack.bao.reissue()
    wait_until(lambda: len(notified(stack, "cellar")) == 1, 30, "delivery with the reissued token")
    assert f"secret store token replaced by the new one in {stack.bao.token_file}" in service.log()
    assert any(r.headers.get("X-Vault-Token") == new for r in stack.bao.requests)


def test_no_secret_token_or_jwt_reaches_the_log(stack: SecureStack, service: ServiceProcess) -> None:
    log = service.log()
    jwts = {bearer(r) for r in stack.command.requests + stack.notifications.requests if r.status < 300}
    tokens = {r.headers.get("X-Vault-Token", "") for r in stack.bao.requests} - {""}
    secrets = {BUS_PASSWORD, "door-pw-1", *jwts, *tokens}
    assert jwts and tokens
    assert [s[:10] for s in secrets if s in log] == []
    assert not re.search(r"eyJ[\w-]{10,}\.", log), "something JWT-shaped was logged"
