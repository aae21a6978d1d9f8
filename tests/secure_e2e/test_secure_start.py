"""Secure mode, each case with a stack of its own: token renewal and re-reading after a 403, the
start errors that name the file or the store, a wrong MQTT password (clear error, retried)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.secure_e2e.conftest import SecureStack
from tests.secure_e2e.stack import BUS_PASSWORD, launch, secure_env, wait_until

pytestmark = pytest.mark.bus


def env_for(stack: SecureStack) -> dict[str, str]:
    return secure_env(stack.bao, stack.broker.port, stack.command.port, stack.notifications.port)


def test_the_token_is_renewed_at_half_its_period_and_read_again_after_a_403(
    fresh_stack: SecureStack,
) -> None:
    bao = fresh_stack.bao
    first = bao.reissue()  # a fresh 6 s token in the file just before the start
    service = launch(fresh_stack.workdir, env_for(fresh_stack))
    try:
        wait_until(lambda: bao.renewals(first) >= 2, 15, "two renewals of the 6 s periodic token")
        assert "renewing every 3 s" in service.log()
        new = bao.reissue()  # security-secretstore-setup ran again: the old token is revoked
        wait_until(lambda: bao.renewals(new) >= 1, 10, "a renewal with the token read again")
        assert f"secret store token replaced by the new one in {bao.token_file}" in service.log()
        renewals = [r for r in bao.requests if r.path == "/v1/auth/token/renew-self"]
        assert any(r.headers["X-Vault-Token"] == first and r.status == 403 for r in renewals)
        assert service.ping_ok()
    finally:
        code, _ = service.terminate()
    assert code == 0
    assert bao.invalid_requests == []
    assert first not in service.log() and new not in service.log()


def _missing(stack: SecureStack) -> dict[str, str]:
    return {"SECRETSTORE_TOKENFILE": str(stack.workdir / "absent" / "secrets-token.json")}


def _not_json(stack: SecureStack) -> dict[str, str]:
    assert stack.bao.token_file is not None
    stack.bao.token_file.write_text("{not json")
    return {}


def _no_token(stack: SecureStack) -> dict[str, str]:
    assert stack.bao.token_file is not None
    stack.bao.token_file.write_text(json.dumps({"auth": {"client_token": ""}}))
    return {}


def _sealed(stack: SecureStack) -> dict[str, str]:
    stack.bao.seal()
    return {}


def _unreachable(stack: SecureStack) -> dict[str, str]:
    stack.bao.go_away()
    return {}


def _revoked(stack: SecureStack) -> dict[str, str]:
    stack.bao.revoke(stack.bao.token)
    return {}


def _bus_secret_without_password(stack: SecureStack) -> dict[str, str]:
    stack.bao.put_secret("message-bus", {"username": "msgbususer"})
    return {}


@pytest.mark.parametrize(
    ("arrange", "expected"),
    [
        (_missing, "secret store token file {workdir}/absent/secrets-token.json: missing"),
        (_not_json, "secret store token file {token_file}: not JSON"),
        (_no_token, "secret store token file {token_file}: holds no token"),
        (_sealed, "secret store at {url} unavailable: GET /v1/auth/token/lookup-self: sealed"),
        (_unreachable, "secret store at {url} unavailable: GET /v1/auth/token/lookup-self"),
        (_revoked, "secret store at {url} rejected the request (403): the token in {token_file} was refused"),
        (_bus_secret_without_password, "secret 'message-bus' has no 'password' (AuthMode usernamepassword)"),
    ],
    ids=["missing", "not-json", "no-token", "sealed", "unreachable", "revoked", "bus-secret"],
)
def test_a_start_error_names_the_file_or_the_store(
    fresh_stack: SecureStack, arrange: Callable[[SecureStack], dict[str, str]], expected: str
) -> None:
    bao = fresh_stack.bao
    env = env_for(fresh_stack) | arrange(fresh_stack)
    service = launch(fresh_stack.workdir, env, wait_ping=False)
    assert service.process.wait(timeout=60) == 2, service.log()
    wanted = expected.format(workdir=fresh_stack.workdir, token_file=bao.token_file, url=bao.url)
    log = service.log()
    assert f"app-vision: cannot start: {wanted}" in log, log
    assert bao.token not in log and BUS_PASSWORD not in log


def test_a_wrong_mqtt_password_is_a_clear_error_retried_with_backoff(fresh_stack: SecureStack) -> None:
    fresh_stack.bao.put_secret("message-bus", fresh_stack.bus_secret(password="wrong-password-0123"))
    env = env_for(fresh_stack)
    service = launch(fresh_stack.workdir, env)  # REST serves while the bus keeps trying
    broker_log = Path(fresh_stack.workdir / "mosquitto.log")
    try:
        wait_until(lambda: "refused the connection" in service.log(), 20, "the refusal")
        assert "check user 'msgbususer' and its password in the MessageBus.SecretName secret" in service.log()

        def refusals() -> list[
            int
        ]:  # mosquitto's log: "<epoch s>: Client <unknown> disconnected, not authorised."
            lines = broker_log.read_text(errors="replace").splitlines()
            return [int(line.split(":")[0]) for line in lines if "not authorised" in line]

        wait_until(lambda: len(refusals()) >= 4, 30, "four attempts")
        times = refusals()
        gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
        assert gaps[-1] > gaps[0], f"no backoff between attempts: {gaps}"
        assert service.ping_ok()
    finally:
        code, _ = service.terminate()
    assert code == 0
    assert "wrong-password-0123" not in service.log()
