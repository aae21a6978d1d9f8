"""Fixtures of the secure-mode tier: one secure stack (PKI, Mosquitto with a password file and TLS,
FakeOpenBao, JWT-checking core-command and support-notifications) shared by a module's tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.bus.brokers import Broker
from tests.fakes.core_command import FakeCoreCommand
from tests.fakes.openbao import FakeOpenBao
from tests.fakes.support_notifications import FakeSupportNotifications
from tests.secure_e2e.stack import (
    BUS_PASSWORD,
    BUS_USER,
    Pki,
    TlsClient,
    jwt_check_for,
    make_pki,
    secured_mosquitto,
)


@dataclass
class SecureStack:
    workdir: Path
    pki: Pki
    broker: Broker
    bao: FakeOpenBao
    command: FakeCoreCommand
    notifications: FakeSupportNotifications
    device: TlsClient

    def bus_secret(self, **changes: str) -> dict[str, str]:
        return {"username": BUS_USER, "password": BUS_PASSWORD, "cacert": self.pki.ca.read_text()} | changes


def build_stack(workdir: Path, **bao_options: int) -> Iterator[SecureStack]:
    """Everything but app-vision; stopped in reverse afterwards."""
    pki = make_pki(workdir / "pki")
    broker = secured_mosquitto(workdir, pki)
    bao = FakeOpenBao(token_dir=workdir / "secrets", **bao_options)
    bao.start()
    check = jwt_check_for(bao)
    command = FakeCoreCommand(jwt_check=check)
    notifications = FakeSupportNotifications(jwt_check=check)
    command.start()
    notifications.start()
    device = TlsClient(broker, pki)
    stack = SecureStack(workdir, pki, broker, bao, command, notifications, device)
    bao.put_secret("message-bus", stack.bus_secret())
    try:
        yield stack
    finally:
        device.close()
        notifications.stop()
        command.stop()
        bao.stop()
        broker.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureStack]:
    """The shared stack; the JWT lives 6 s, so app-vision mints a new one every 3 s."""
    yield from build_stack(tmp_path_factory.mktemp("secure"), jwt_ttl_s=6)


@pytest.fixture
def fresh_stack(tmp_path: Path) -> Iterator[SecureStack]:
    """A stack of the test's own (its store token is periodic over 6 s: renewed every 3 s)."""
    yield from build_stack(tmp_path, period_s=6)
