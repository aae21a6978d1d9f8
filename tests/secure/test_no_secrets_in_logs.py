"""Nothing secret reaches a log line or an error message: not a store token, a JWT, a password."""

from __future__ import annotations

import logging

import pytest

from service.edgex.secretstore import (
    JwtCache,
    JwtRejected,
    JwtValidationSettings,
    JwtValidator,
    OpenBaoClient,
    SecretStoreError,
    SecureSecretStore,
    TokenKeeper,
    parse_bus_credentials,
    read_bus_credentials,
)
from tests.fakes.openbao import FakeOpenBao
from tests.secure.support import BUS_SECRET, FakeSleeper

KEY_TEXT = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS10ZXh0\n-----END PRIVATE KEY-----\n"


def test_a_whole_secure_run_with_its_failures_logs_no_secret(
    bao: FakeOpenBao, client: OpenBaoClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert bao.token_file is not None
    secrets = {bao.token, bao.root_token, BUS_SECRET["password"], KEY_TEXT}
    errors: list[str] = []
    sleeper = FakeSleeper()
    keeper = TokenKeeper(client, bao.token_file, sleeper=sleeper, retry_s=1.0)
    keeper.start()
    try:
        store = SecureSecretStore(client, keeper)
        cache = JwtCache(client, keeper)
        validator = JwtValidator(JwtValidationSettings(), client, keeper)
        secrets.add(read_bus_credentials(store, "usernamepassword").password)
        jwt = cache.jwt()
        secrets.add(jwt)
        validator.validate(jwt)
        store.store("camera-front", {"password": "camera-secret-1"})
        secrets.add("camera-secret-1")
        secrets.add(bao.reissue())
        store.get("camera-front")  # 403 -> file -> new token
        sleeper.wait_for_waits(1)
        bao.revoke(keeper.token)
        sleeper.release()  # a refused renewal is logged at ERROR
        sleeper.wait_for_waits(2)
        for failing in (
            lambda: validator.validate(bao.mint_jwt(audience="x")),
            lambda: validator.validate("garbage." + jwt),
            store.names,  # uncached: the revoked token is refused
            lambda: parse_bus_credentials(
                "clientcert", "message-bus", {"clientcert": "x", "clientkey": KEY_TEXT}
            ),
        ):
            try:
                failing()
            except (SecretStoreError, JwtRejected) as exc:
                errors.append(str(exc))
        bao.seal()
        for call in (keeper.start, lambda: store.names()):
            with pytest.raises(SecretStoreError) as caught:
                call()
            errors.append(str(caught.value))
    finally:
        keeper.stop()
    assert any(r.levelno >= logging.ERROR for r in caplog.records)  # the failures were logged
    assert len(errors) == 6
    text = caplog.text + "\n".join(errors)
    leaked = [s[:12] + "…" for s in secrets if s and s in text]
    assert leaked == []
