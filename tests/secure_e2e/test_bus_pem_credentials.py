"""The message-bus secret's PEM text reaches a real TLS Mosquitto: `clientcert` (a client
certificate the broker requires), `cacert` (TLS with the CA only) and `usernamepassword` with a
`cacert`, each through secure_bus_settings as the service builds it; a client certificate from
another CA and a missing CA never connect."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.config.bus import secure_bus_settings
from service.config.sections import MessageBusSection
from service.edgex.bus import create_bus
from service.edgex.envelope import MessageEnvelope
from service.edgex.wire_format import WireFormat
from tests.bus.brokers import Broker, mosquitto
from tests.bus.busprobe import Collector
from tests.secure_e2e.stack import BUS_PASSWORD, BUS_USER, Pki, make_client_cert, make_pki, wait_until

pytestmark = pytest.mark.bus


class Store:
    def __init__(self, data: dict[str, str]) -> None:
        self.data = data

    def get(self, secret_name: str) -> dict[str, str]:
        return dict(self.data) if secret_name == "message-bus" else {}


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return make_pki(tmp_path / "pki")


def broker_for(tmp_path: Path, pki: Pki, extra: str) -> Iterator[Broker]:
    broker = mosquitto(tmp_path, f"cafile {pki.ca}\ncertfile {pki.cert}\nkeyfile {pki.key}\n{extra}")
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def cert_broker(tmp_path: Path, pki: Pki) -> Iterator[Broker]:
    """TLS, a client certificate from the test CA required (it is the identity), no passwords."""
    yield from broker_for(
        tmp_path, pki, "require_certificate true\nuse_identity_as_username true\nallow_anonymous false\n"
    )


def section(broker: Broker, auth_mode: str) -> MessageBusSection:
    return MessageBusSection.model_validate(
        {"Type": "mqtt", "Protocol": "tls", "Host": "127.0.0.1", "Port": broker.port, "AuthMode": auth_mode,
         "SecretName": "message-bus", "Optional": {"ClientId": f"pem-{auth_mode}", "ConnectTimeout": "2"}}
    )  # fmt: skip


def round_trip(broker: Broker, auth_mode: str, secret: dict[str, str]) -> None:
    settings = secure_bus_settings(section(broker, auth_mode), Store(secret))
    assert settings.ca_file == settings.cert_file == ""  # PEM text, no files
    bus = create_bus(settings, WireFormat())
    got = Collector()
    bus.connect()
    try:
        wait_until(lambda: bus.connected, 10, f"a TLS connection with AuthMode {auth_mode}")
        bus.subscribe(["edgex/#"], got.handler, got.on_error)
        bus.publish("edgex/events/pem", MessageEnvelope(correlation_id=auth_mode))
        assert got.next()[1].correlation_id == auth_mode
    finally:
        bus.close()


def test_clientcert_from_pem_text(cert_broker: Broker, pki: Pki) -> None:
    cert, key = make_client_cert(pki)
    round_trip(
        cert_broker, "clientcert", {"clientcert": cert, "clientkey": key, "cacert": pki.ca.read_text()}
    )
    assert not list(Path("/tmp").glob("app-vision-tls-*")), "the temporary key file was left behind"


def test_a_client_cert_of_another_ca_never_connects(
    cert_broker: Broker, pki: Pki, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    other = make_pki(tmp_path / "other")
    cert, key = make_client_cert(other, "stranger")
    settings = secure_bus_settings(
        section(cert_broker, "clientcert"),
        Store({"clientcert": cert, "clientkey": key, "cacert": pki.ca.read_text()}),
    )
    bus = create_bus(settings, WireFormat())
    with caplog.at_level(logging.WARNING, logger="service.edgex.bus"):
        bus.connect()
        try:
            time.sleep(4)  # TLS 1.3 refuses the certificate after the handshake
            assert not bus.connected
        finally:
            bus.close()
    assert key not in caplog.text


def test_cacert_only(tmp_path: Path, pki: Pki) -> None:
    for broker in broker_for(tmp_path, pki, "allow_anonymous true\n"):
        round_trip(broker, "cacert", {"cacert": pki.ca.read_text()})


def test_usernamepassword_with_the_ca_from_the_secret(tmp_path: Path, pki: Pki) -> None:
    import subprocess

    from tests.bus.brokers import find_binary

    passwords = tmp_path / "passwords"
    subprocess.run([find_binary("mosquitto_passwd"), "-b", "-c", str(passwords), BUS_USER, BUS_PASSWORD],
                   check=True, capture_output=True, timeout=30)  # fmt: skip
    for broker in broker_for(tmp_path, pki, f"allow_anonymous false\npassword_file {passwords}\n"):
        secret = {"username": BUS_USER, "password": BUS_PASSWORD, "cacert": pki.ca.read_text()}
        round_trip(broker, "usernamepassword", secret)
