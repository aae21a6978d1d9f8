"""Helpers of the secure-mode tests: the captured message-bus secret, a fake Sleeper, settings."""

from __future__ import annotations

import threading

from service.edgex.secretstore import SecretStoreSettings
from tests.fakes.openbao import FakeOpenBao

BUS_SECRET = {"username": "msgbususer", "password": "FAKEmessageBusPassword0000000000000000000000"}


class FakeSleeper:
    """A Sleeper on a fake clock: `wait` records how long it was asked to wait and blocks until
    the test calls `release()` (one wait) or anything calls `wake()`."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self._cond = threading.Condition()
        self._released = 0
        self._woken = False

    def wait(self, seconds: float) -> None:
        with self._cond:
            self.waits.append(seconds)
            self._cond.notify_all()
            self._cond.wait_for(lambda: self._released > 0 or self._woken, timeout=10)
            if self._released > 0:
                self._released -= 1

    def wake(self) -> None:
        with self._cond:
            self._woken = True
            self._cond.notify_all()

    def release(self) -> None:
        """Let the current wait end (as if its time had passed)."""
        with self._cond:
            self._released += 1
            self._cond.notify_all()

    def wait_for_waits(self, count: int) -> list[float]:
        """Block until `count` waits have begun; the requested durations."""
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.waits) >= count, timeout=10), self.waits
            return list(self.waits)


def settings_for(bao: FakeOpenBao, timeout_s: float = 2.0) -> SecretStoreSettings:
    assert bao.token_file is not None
    return SecretStoreSettings(
        host="127.0.0.1", port=bao.port, token_file=bao.token_file, timeout_s=timeout_s
    )
