"""JwtCache: one mint reused until shortly before exp (on an injected clock), then a new one."""

from __future__ import annotations

import threading
from pathlib import Path

import jwt as pyjwt
import pytest

from service.edgex.secretstore import JwtCache, OpenBaoClient, StoreUnavailable, TokenKeeper
from tests.fakes.openbao import FakeOpenBao
from tests.secure.support import FakeSleeper, settings_for


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def mints(bao: FakeOpenBao) -> int:
    return sum(1 for r in bao.requests if r.path == "/v1/identity/oidc/token/app-vision" and r.status == 200)


def exp_of(token: str) -> int:
    exp: int = pyjwt.decode(token, options={"verify_signature": False})["exp"]
    return exp


def test_the_jwt_is_reused_until_the_margin_before_exp(
    bao: FakeOpenBao, client: OpenBaoClient, keeper: TokenKeeper
) -> None:
    cache = JwtCache(client, keeper, refresh_margin_s=60, clock=bao.now)  # one clock for both
    first = cache.jwt()
    exp = exp_of(first)
    bao.advance(exp - 61 - bao.now())
    assert cache.jwt() == first and mints(bao) == 1
    bao.advance(2)
    second = cache.jwt()
    assert second != first and mints(bao) == cache.mints == 2
    assert exp_of(second) > exp
    bao.advance(600)
    assert cache.jwt() == second


def test_a_short_lived_jwt_is_renewed_at_half_its_lifetime(tmp_path: Path) -> None:
    with FakeOpenBao(token_dir=tmp_path, jwt_ttl_s=10) as bao:
        assert bao.token_file is not None
        client = OpenBaoClient(settings_for(bao))
        keeper = TokenKeeper(client, bao.token_file, sleeper=FakeSleeper())
        keeper.start()
        try:
            clock = Clock(bao.now())
            cache = JwtCache(client, keeper, refresh_margin_s=60, clock=clock)
            exp = exp_of(cache.jwt())
            clock.now = exp - 5.5
            cache.jwt()
            clock.now = exp - 4.5
            cache.jwt()
            assert mints(bao) == 2
        finally:
            keeper.stop()


def test_concurrent_callers_share_one_mint(
    bao: FakeOpenBao, client: OpenBaoClient, keeper: TokenKeeper
) -> None:
    cache = JwtCache(client, keeper)
    seen: list[str] = []
    threads = [threading.Thread(target=lambda: seen.append(cache.jwt())) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(seen)) == 1 and mints(bao) == 1


def test_the_header_carries_a_jwt_the_store_vouches_for(
    bao: FakeOpenBao, client: OpenBaoClient, keeper: TokenKeeper
) -> None:
    header = JwtCache(client, keeper).authorization_header()
    scheme, token = header["Authorization"].split(" ")
    assert scheme == "Bearer" and list(header) == ["Authorization"]
    assert client.introspect(bao.token, token).active


def test_invalidate_forces_a_new_mint(bao: FakeOpenBao, client: OpenBaoClient, keeper: TokenKeeper) -> None:
    cache = JwtCache(client, keeper)
    cache.jwt()
    cache.invalidate()
    cache.jwt()
    assert mints(bao) == 2


def test_minting_recovers_from_a_reissued_token(
    bao: FakeOpenBao, client: OpenBaoClient, keeper: TokenKeeper
) -> None:
    new = bao.reissue()
    assert JwtCache(client, keeper).jwt()
    assert keeper.token == new


def test_a_cached_jwt_outlives_a_store_outage_an_expired_one_does_not(
    bao: FakeOpenBao, client: OpenBaoClient, keeper: TokenKeeper
) -> None:
    clock = Clock(bao.now())
    cache = JwtCache(client, keeper, clock=clock)
    first = cache.jwt()
    bao.go_away()
    assert cache.jwt() == first
    clock.now = exp_of(first)
    with pytest.raises(StoreUnavailable, match=bao.url):
        cache.jwt()
    bao.come_back()
    assert cache.jwt() != first
