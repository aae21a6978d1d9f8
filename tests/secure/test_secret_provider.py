"""SecureSecretStore: the insecure store's interface over KV v1, its cache, and the 403 recovery."""

from __future__ import annotations

import pytest

from service.config.secrets import InsecureSecretStore
from service.edgex.secretstore import (
    OpenBaoClient,
    SecureSecretStore,
    StoreUnavailable,
    TokenKeeper,
    read_bus_credentials,
)
from tests.fakes.openbao import FakeOpenBao
from tests.secure.support import BUS_SECRET


@pytest.fixture
def store(client: OpenBaoClient, keeper: TokenKeeper) -> SecureSecretStore:
    return SecureSecretStore(client, keeper)


def test_it_offers_the_insecure_stores_interface() -> None:
    public = {n for n in dir(InsecureSecretStore) if not n.startswith("_")}
    assert public <= {n for n in dir(SecureSecretStore) if not n.startswith("_")}


def test_get_store_and_names(bao: FakeOpenBao, store: SecureSecretStore) -> None:
    assert store.get("message-bus") == BUS_SECRET
    assert store.get("does-not-exist") == {}
    store.store("camera-front", {"username": "u1", "password": "p1"})
    assert bao.secret("camera-front") == {"username": "u1", "password": "p1"}
    assert store.names() == ("camera-front", "message-bus")


def test_reads_are_cached_until_a_store(bao: FakeOpenBao, store: SecureSecretStore) -> None:
    first = store.get("message-bus")
    first["password"] = "changed by the caller"  # a copy: the cache is not touched
    bao.put_secret("message-bus", {"username": "rotated", "password": "x"})  # behind the cache's back
    assert store.get("message-bus") == BUS_SECRET
    reads = [r for r in bao.requests if r.path.endswith("/message-bus")]
    assert len(reads) == 1
    store.store("camera-front", {"apikey": "k1"})
    assert store.get("message-bus") == {"username": "rotated", "password": "x"}


def test_store_replaces_the_secret_as_kv_v1_does(bao: FakeOpenBao, store: SecureSecretStore) -> None:
    store.store("camera-front", {"username": "u1", "password": "p1"})
    store.store("camera-front", {"apikey": "k1"})
    assert store.get("camera-front") == {"apikey": "k1"}


def test_a_reissued_token_is_picked_up_for_every_operation(
    bao: FakeOpenBao, store: SecureSecretStore
) -> None:
    bao.reissue()
    store.store("camera-front", {"apikey": "k1"})
    bao.reissue()
    assert store.names() == ("camera-front", "message-bus")
    bao.reissue()
    assert store.get("camera-front") == {"apikey": "k1"}


def test_a_store_gone_mid_run_raises_and_then_serves_again(
    bao: FakeOpenBao, store: SecureSecretStore
) -> None:
    bao.go_away()
    with pytest.raises(StoreUnavailable, match=bao.url):
        store.get("camera-front")
    bao.come_back()
    assert store.get("message-bus") == BUS_SECRET


def test_bus_credentials_come_from_the_message_bus_secret(store: SecureSecretStore) -> None:
    credentials = read_bus_credentials(store, "usernamepassword")
    assert (credentials.username, credentials.password) == (BUS_SECRET["username"], BUS_SECRET["password"])
