"""OpenBaoClient against the stand-in: the captured paths, methods, headers and bodies, typed
answers, and typed errors that name the store (sealed, gone, refused, not found, too slow)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from service.edgex.errors import PeerRejected, PeerUnavailable
from service.edgex.secretstore import (
    InvalidSecretName,
    OpenBaoClient,
    SecretNotFound,
    SecretStoreSettings,
    StoreRejected,
    StoreSealed,
    StoreUnavailable,
    TokenRejected,
)
from tests.fakes.openbao import CAPTURES, FakeOpenBao
from tests.secure.support import BUS_SECRET


def captured_request(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((CAPTURES / f"{name}.request.json").read_text())
    return loaded


def test_lookup_self_reads_the_period(bao: FakeOpenBao, client: OpenBaoClient) -> None:
    info = client.lookup_self(bao.token)
    assert (info.period_s, info.renewable, info.entity_id) == (3600, True, bao.entity_id)
    assert 3590 <= info.ttl_s <= 3600
    assert info.identity_policies == ("edgex-service-app-vision",)
    [sent] = bao.requests
    assert (sent.method, sent.path, sent.headers["X-Vault-Token"]) == (
        "GET",
        "/v1/auth/token/lookup-self",
        bao.token,
    )


def test_renew_self_sends_the_captured_body_and_resets_the_ttl(
    bao: FakeOpenBao, client: OpenBaoClient
) -> None:
    bao.set_ttl(bao.token, 100)
    renewal = client.renew_self(bao.token)
    assert (renewal.lease_duration_s, renewal.renewable) == (3600, True)
    assert client.lookup_self(bao.token).ttl_s >= 3590
    assert bao.renewals(bao.token) == 1
    sent = bao.requests[0]
    captured = captured_request("renew-self")
    assert (sent.method, sent.path, sent.json) == (captured["method"], captured["path"], captured["body"])
    assert sent.headers["Content-Type"] == "application/json"


def test_kv_write_read_and_list(bao: FakeOpenBao, client: OpenBaoClient) -> None:
    client.write_secret(bao.token, "camera-front", {"username": "u1", "password": "p1"})
    assert bao.secret("camera-front") == {"username": "u1", "password": "p1"}
    assert client.read_secret(bao.token, "camera-front") == {"username": "u1", "password": "p1"}
    assert client.read_secret(bao.token, "message-bus") == BUS_SECRET
    assert client.list_secrets(bao.token) == ("camera-front", "message-bus")
    write, _, _, listing = bao.requests
    captured = captured_request("kv-write")
    assert (write.method, write.path, write.json) == (captured["method"], captured["path"], captured["body"])
    assert (listing.method, listing.path) == ("LIST", "/v1/secret/edgex/app-vision")


def test_kv_v1_write_replaces_the_whole_secret(bao: FakeOpenBao, client: OpenBaoClient) -> None:
    client.write_secret(bao.token, "camera-front", {"username": "u1", "password": "p1"})
    client.write_secret(bao.token, "camera-front", {"apikey": "k1"})
    assert client.read_secret(bao.token, "camera-front") == {"apikey": "k1"}


def test_a_missing_secret_and_an_empty_folder(
    tmp_path: Path, client: OpenBaoClient, bao: FakeOpenBao
) -> None:
    with pytest.raises(SecretNotFound) as caught:
        client.read_secret(bao.token, "does-not-exist")
    assert caught.value.status == 404 and isinstance(caught.value, PeerRejected)
    with FakeOpenBao(token_dir=tmp_path / "empty") as empty:
        other = OpenBaoClient(SecretStoreSettings(host="127.0.0.1", port=empty.port))
        assert other.list_secrets(empty.token) == ()


@pytest.mark.parametrize("name", ["", "/abs", "a//b", "../core-data/message-bus", "a/./b", "trailing/"])
def test_a_name_outside_the_folder_is_refused_before_any_request(
    bao: FakeOpenBao, client: OpenBaoClient, name: str
) -> None:
    with pytest.raises(InvalidSecretName):
        client.read_secret(bao.token, name)
    assert bao.requests == []


def test_mint_and_introspect(bao: FakeOpenBao, client: OpenBaoClient) -> None:
    minted = client.mint_jwt(bao.token)
    assert (minted.ttl_s, minted.client_id) == (900, "edgex")
    assert minted.jwt not in repr(minted)
    assert client.introspect(bao.token, minted.jwt).active
    garbage = client.introspect(bao.token, "garbage")
    assert not garbage.active and "three parts" in garbage.error
    sent = bao.requests[-1]
    assert (sent.path, sent.json) == ("/v1/identity/oidc/introspect", {"token": "garbage"})


@pytest.mark.parametrize(
    ("token_kind", "expected"),
    [("revoked", "permission denied"), ("garbage", "permission denied"), ("missing", "permission denied")],
)
def test_a_refused_token_is_token_rejected(
    bao: FakeOpenBao, client: OpenBaoClient, token_kind: str, expected: str
) -> None:
    token = {"revoked": bao.token, "garbage": "s.GarbageGarbageGarbage000", "missing": ""}[token_kind]
    bao.revoke(bao.token)
    for call in (client.lookup_self, client.renew_self, client.mint_jwt, client.list_secrets):
        with pytest.raises(TokenRejected) as caught:
            call(token)
        assert caught.value.status == 403 and expected in caught.value.message
        assert bao.url in str(caught.value)


def test_another_services_secret_is_refused_by_policy(bao: FakeOpenBao) -> None:
    other = OpenBaoClient(SecretStoreSettings(host="127.0.0.1", port=bao.port, service_key="core-data"))
    with pytest.raises(TokenRejected, match="1 error occurred: \\* permission denied"):
        other.read_secret(bao.token, "message-bus")
    with pytest.raises(TokenRejected):
        other.mint_jwt(bao.token)


def test_a_sealed_store_is_store_sealed_naming_the_url(bao: FakeOpenBao, client: OpenBaoClient) -> None:
    bao.seal()
    for call in (client.lookup_self, lambda t: client.read_secret(t, "message-bus")):
        with pytest.raises(StoreSealed) as caught:
            call(bao.token)
        assert bao.url in str(caught.value) and "sealed" in str(caught.value)
        assert isinstance(caught.value, PeerUnavailable) and caught.value.status == 503
    bao.unseal()
    assert client.lookup_self(bao.token).renewable


def test_a_store_that_went_away_is_unavailable_and_recovers(bao: FakeOpenBao, client: OpenBaoClient) -> None:
    client.lookup_self(bao.token)  # a kept-alive connection exists
    bao.go_away()
    with pytest.raises(StoreUnavailable) as caught:
        client.lookup_self(bao.token)
    assert bao.url in str(caught.value) and not isinstance(caught.value, StoreSealed)
    bao.come_back()
    assert client.lookup_self(bao.token).period_s == 3600


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (kernel backlog) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def test_a_store_that_does_not_answer_times_out(silent_port: int) -> None:
    slow = OpenBaoClient(SecretStoreSettings(host="127.0.0.1", port=silent_port, timeout_s=0.3))
    with pytest.raises(StoreUnavailable, match=r"no answer within 0.3 s") as caught:
        slow.lookup_self("s.x")
    assert f"127.0.0.1:{silent_port}" in str(caught.value)


def test_other_4xx_is_store_rejected(bao: FakeOpenBao, client: OpenBaoClient) -> None:
    with pytest.raises(StoreRejected) as caught:
        client.mint_jwt(bao.root_token)  # root has no entity: OpenBao answers 400
    assert caught.value.status == 400 and "no entity" in caught.value.message
    assert not isinstance(caught.value, TokenRejected | SecretNotFound)
