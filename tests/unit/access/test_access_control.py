"""service/access: argon2 hashes, sessions, API tokens (stored hashed), the first account, rate limit."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from service.access import (
    TOKEN_PREFIX,
    AccessControl,
    AccessSettings,
    AccessStore,
    AccountError,
    LoginRateLimited,
    LoginRefused,
    UnknownToken,
)
from service.access.rate_limit import MAX_ADDRESSES, LoginRateLimit


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def access(tmp_path: Path, clock: Clock) -> AccessControl:
    settings = AccessSettings(SessionTtlS=3600, LoginAttempts=3, LoginWindowS=60)
    control = AccessControl(settings, AccessStore(tmp_path / "access.sqlite"), clock)
    control.set_password("alice", "correct horse")
    return control


def test_the_file_is_0600_and_holds_no_password_or_token(tmp_path: Path, access: AccessControl) -> None:
    session = access.login("alice", "correct horse", "10.0.0.1")
    token = access.create_token("alice", "backup").token
    path = tmp_path / "access.sqlite"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    access.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("access.sqlite*"))
    for secret in ("correct horse", session, token):
        assert secret.encode() not in raw
    with sqlite3.connect(path) as db:
        (stored,) = db.execute("SELECT password_hash FROM users").fetchone()
    assert stored.startswith("$argon2id$")


def test_login_gives_a_session_until_it_expires_or_logs_out(access: AccessControl, clock: Clock) -> None:
    session = access.login("alice", "correct horse", "10.0.0.1")
    assert access.user_of_session(session) == "alice"
    assert access.user_of_session(session + "x") is None
    clock.now += 3601
    assert access.user_of_session(session) is None
    other = access.login("alice", "correct horse", "10.0.0.1")
    access.logout(other)
    assert access.user_of_session(other) is None


@pytest.mark.parametrize(("user", "password"), [("alice", "wrong password"), ("mallory", "correct horse")])
def test_a_wrong_name_or_password_is_refused_alike(access: AccessControl, user: str, password: str) -> None:
    with pytest.raises(LoginRefused, match="wrong user name or password"):
        access.login(user, password, "10.0.0.1")


def test_failed_logins_are_limited_per_address(access: AccessControl) -> None:
    for _ in range(3):
        with pytest.raises(LoginRefused):
            access.login("alice", "nope", "10.0.0.1")
    with pytest.raises(LoginRateLimited) as limited:
        access.login("alice", "correct horse", "10.0.0.1")  # even the right password waits
    assert 0 < limited.value.retry_after_s <= 60
    assert access.login("alice", "correct horse", "10.0.0.2")  # another address is not held


def test_the_rate_limit_window_slides_and_success_resets() -> None:
    now = [0.0]
    limit = LoginRateLimit(2, 10, lambda: now[0])
    limit.failed("a")
    now[0] = 5
    limit.failed("a")
    assert limit.retry_after_s("a") == pytest.approx(5)
    now[0] = 10.5  # the first failure left the window
    assert limit.retry_after_s("a") == 0
    limit.failed("a")
    assert limit.retry_after_s("a") > 0
    limit.succeeded("a")
    assert limit.retry_after_s("a") == 0
    for index in range(MAX_ADDRESSES + 5):
        limit.failed(f"x{index}")
    assert len(limit._failures) == MAX_ADDRESSES  # bounded memory


def test_a_new_password_ends_the_sessions(access: AccessControl) -> None:
    session = access.login("alice", "correct horse", "10.0.0.1")
    assert access.set_password("alice", "battery staple") is False
    assert access.user_of_session(session) is None
    with pytest.raises(LoginRefused):
        access.login("alice", "correct horse", "10.0.0.1")
    assert access.login("alice", "battery staple", "10.0.0.1")


def test_api_tokens_are_created_listed_and_revoked(access: AccessControl) -> None:
    made = access.create_token("alice", "backup script")
    assert made.token.startswith(TOKEN_PREFIX) and len(made.token) > 40
    assert access.user_of_token(made.token) == "alice"
    assert access.user_of_token("avt_guess") is None
    assert access.user_of_token(made.token[len(TOKEN_PREFIX) :]) is None  # without the prefix
    (listed,) = access.tokens("alice")
    assert (listed.name, listed.prefix) == ("backup script", made.token[:10])
    assert listed.last_used_s is not None  # just used
    assert access.tokens("bob") == []
    with pytest.raises(UnknownToken):
        access.revoke_token("bob", made.record.token_id)  # not bob's
    access.revoke_token("alice", made.record.token_id)
    assert access.user_of_token(made.token) is None
    with pytest.raises(UnknownToken):
        access.revoke_token("alice", made.record.token_id)


def test_the_first_start_makes_one_account_with_a_random_password(tmp_path: Path) -> None:
    settings = AccessSettings(FirstUser="admin")
    first = AccessControl(settings, AccessStore(tmp_path / "a.sqlite"))
    password = first.ensure_first_user()
    assert password is not None and len(password) >= 16
    assert first.login("admin", password, "127.0.0.1")
    assert first.ensure_first_user() is None  # the next start keeps it
    first.close()
    again = AccessControl(settings, AccessStore(tmp_path / "a.sqlite"))
    assert again.ensure_first_user() is None
    assert again.login("admin", password, "127.0.0.1")


@pytest.mark.parametrize(
    ("user", "password", "message"),
    [
        ("bad name", "long enough", "user name"),
        ("", "long enough", "user name"),
        ("bob", "short", "8 characters"),
    ],
)
def test_unusable_accounts_are_refused(access: AccessControl, user: str, password: str, message: str) -> None:
    with pytest.raises(AccountError, match=message):
        access.set_password(user, password)


def test_a_damaged_hash_matches_nothing(tmp_path: Path, access: AccessControl) -> None:
    with sqlite3.connect(tmp_path / "access.sqlite") as db:
        db.execute("UPDATE users SET password_hash = 'garbage'")
    with pytest.raises(LoginRefused):
        access.login("alice", "correct horse", "10.0.0.1")


def test_at_most_two_password_checks_run_at_once(
    access: AccessControl, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading
    import time

    import service.access.control as control

    running, peak, lock = [0], [0], threading.Lock()

    def slow_verify(stored: str, password: str) -> bool:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return False

    monkeypatch.setattr(control, "verify_password", slow_verify)

    def attempt(index: int) -> None:
        with pytest.raises(LoginRefused):
            access.login("alice", "nope", f"10.1.0.{index}")

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak[0] == control.CONCURRENT_VERIFIES == 2
