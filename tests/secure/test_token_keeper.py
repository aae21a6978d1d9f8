"""TokenKeeper: start checks, renewal at half the period (fake sleeper), recovery after setup
reissued the token (403 -> the file again -> retry once), retries after failures, a prompt stop."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from service.edgex.secretstore import (
    OpenBaoClient,
    StoreSealed,
    StoreUnavailable,
    TokenFileError,
    TokenKeeper,
    TokenRejected,
)
from tests.fakes.openbao import FakeOpenBao
from tests.secure.support import FakeSleeper, settings_for


@pytest.mark.parametrize("period_s", [3600, 600])
def test_it_renews_every_half_period_read_from_lookup_self(tmp_path: Path, period_s: int) -> None:
    with FakeOpenBao(token_dir=tmp_path, period_s=period_s) as bao:
        assert bao.token_file is not None
        sleeper = FakeSleeper()
        keeper = TokenKeeper(OpenBaoClient(settings_for(bao)), bao.token_file, sleeper=sleeper)
        try:
            info = keeper.start()
            assert info.period_s == period_s
            assert sleeper.wait_for_waits(1) == [period_s / 2]
            assert bao.renewals() == 0  # ttl was above half the period: nothing due at start
            sleeper.release()
            assert sleeper.wait_for_waits(2) == [period_s / 2] * 2
            assert bao.renewals(bao.token) == keeper.renewals == 1
        finally:
            keeper.stop()


def test_a_token_already_below_half_its_period_is_renewed_at_start(
    bao: FakeOpenBao, client: OpenBaoClient
) -> None:
    assert bao.token_file is not None
    bao.set_ttl(bao.token, 1000)
    keeper = TokenKeeper(client, bao.token_file, sleeper=FakeSleeper())
    keeper.start()
    try:
        assert bao.renewals(bao.token) == 1
        assert client.lookup_self(bao.token).ttl_s >= 3590
    finally:
        keeper.stop()


def test_a_reissued_token_is_read_again_and_the_call_retried_once(
    bao: FakeOpenBao, client: OpenBaoClient, keeper: TokenKeeper
) -> None:
    old = keeper.token
    new = bao.reissue()
    bao.clear()
    assert keeper.call(lambda token: client.read_secret(token, "message-bus"))["username"] == "msgbususer"
    assert keeper.token == new != old
    tokens = [(r.path, r.headers["X-Vault-Token"], r.status) for r in bao.requests]
    assert tokens == [
        ("/v1/secret/edgex/app-vision/message-bus", old, 403),
        ("/v1/auth/token/lookup-self", new, 200),
        ("/v1/secret/edgex/app-vision/message-bus", new, 200),
    ]


def test_a_refused_token_with_no_new_one_in_the_file_is_raised(
    bao: FakeOpenBao, client: OpenBaoClient, keeper: TokenKeeper
) -> None:
    bao.revoke(bao.token)
    with pytest.raises(TokenRejected):
        keeper.call(client.lookup_self)
    assert [r.path for r in bao.requests][-1] == "/v1/auth/token/lookup-self"  # not retried


def test_many_threads_hitting_the_reissue_recover_with_one_reload(
    bao: FakeOpenBao, client: OpenBaoClient, keeper: TokenKeeper
) -> None:
    new = bao.reissue()
    bao.clear()
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(keeper.call(client.lookup_self).entity_id))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [bao.entity_id] * 8
    lookups_with_new = [r for r in bao.requests if r.headers["X-Vault-Token"] == new]
    assert len(lookups_with_new) == 8 + 1  # each call's retry, plus the single reload's check


def test_the_renewal_thread_recovers_from_a_reissue(
    bao: FakeOpenBao, sleeper: FakeSleeper, keeper: TokenKeeper
) -> None:
    sleeper.wait_for_waits(1)
    new = bao.reissue()
    sleeper.release()
    sleeper.wait_for_waits(2)
    assert keeper.token == new and bao.renewals(new) == 1


def test_a_failed_renewal_is_retried_soon_then_the_schedule_resumes(
    bao: FakeOpenBao, sleeper: FakeSleeper, keeper: TokenKeeper
) -> None:
    sleeper.wait_for_waits(1)
    bao.go_away()
    sleeper.release()
    assert sleeper.wait_for_waits(2)[-1] == 7.0  # retry_s, not another 1800 s
    bao.come_back()
    sleeper.release()
    assert sleeper.wait_for_waits(3)[-1] == 1800
    assert bao.renewals() == 1


def test_a_refused_renewal_keeps_trying_in_case_the_file_changes(
    bao: FakeOpenBao, sleeper: FakeSleeper, keeper: TokenKeeper
) -> None:
    sleeper.wait_for_waits(1)
    bao.revoke(bao.token)
    sleeper.release()
    assert sleeper.wait_for_waits(2)[-1] == 7.0
    new = bao.reissue()
    sleeper.release()
    assert sleeper.wait_for_waits(3)[-1] == 1800
    assert keeper.token == new and bao.renewals(new) == 1


def test_stop_is_prompt_with_the_real_sleeper(bao: FakeOpenBao, client: OpenBaoClient) -> None:
    assert bao.token_file is not None
    keeper = TokenKeeper(client, bao.token_file)
    keeper.start()
    started = time.monotonic()
    keeper.stop()
    assert time.monotonic() - started < 1.0
    assert not any(t.name == "secretstore-token-renewal" for t in threading.enumerate())


def test_start_errors_name_the_file_or_the_store(
    bao: FakeOpenBao, client: OpenBaoClient, tmp_path: Path
) -> None:
    assert bao.token_file is not None
    with pytest.raises(TokenFileError, match=str(tmp_path / "nope.json")):
        TokenKeeper(client, tmp_path / "nope.json").start()
    bao.seal()
    with pytest.raises(StoreSealed, match=bao.url):
        TokenKeeper(client, bao.token_file).start()
    bao.unseal()
    bao.revoke(bao.token)
    with pytest.raises(TokenRejected) as refused:
        TokenKeeper(client, bao.token_file).start()
    assert str(bao.token_file) in str(refused.value) and bao.url in str(refused.value)
    bao.go_away()
    with pytest.raises(StoreUnavailable, match=bao.url):
        TokenKeeper(client, bao.token_file).start()
    bao.come_back()
