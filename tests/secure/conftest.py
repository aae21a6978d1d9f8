"""Shared fixtures of the secure-mode tests: a FakeOpenBao with a token file, and the modules
built on it the way the service will build them (client -> keeper -> store / JWT cache / validator).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from service.edgex.secretstore import OpenBaoClient, TokenKeeper
from tests.fakes.openbao import FakeOpenBao
from tests.secure.support import BUS_SECRET, FakeSleeper, settings_for


@pytest.fixture
def bao(tmp_path: Path) -> Iterator[FakeOpenBao]:
    """A running stand-in with app-vision's token file under tmp_path and the message-bus secret."""
    with FakeOpenBao(token_dir=tmp_path / "secrets", secrets_data={"message-bus": BUS_SECRET}) as fake:
        yield fake
        assert fake.invalid_requests == [], [(r.method, r.path, r.errors) for r in fake.invalid_requests]


@pytest.fixture
def client(bao: FakeOpenBao) -> Iterator[OpenBaoClient]:
    store_client = OpenBaoClient(settings_for(bao))
    yield store_client
    store_client.close()


@pytest.fixture
def sleeper() -> FakeSleeper:
    return FakeSleeper()


@pytest.fixture
def keeper(bao: FakeOpenBao, client: OpenBaoClient, sleeper: FakeSleeper) -> Iterator[TokenKeeper]:
    """A started TokenKeeper whose renewal thread waits on the fake sleeper."""
    assert bao.token_file is not None
    token_keeper = TokenKeeper(client, bao.token_file, sleeper=sleeper, retry_s=7.0)
    token_keeper.start()
    yield token_keeper
    token_keeper.stop()
