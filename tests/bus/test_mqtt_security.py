"""MQTT username/password and TLS against a real Mosquitto with a password file and a test CA."""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from service.edgex.bus import BusSettings, create_bus
from service.edgex.envelope import MessageEnvelope
from service.edgex.wire_format import WireFormat
from tests.bus.brokers import Broker, find_binary, mosquitto
from tests.bus.busprobe import Collector, wait_until

pytestmark = pytest.mark.bus

USER, PASSWORD = "app-vision", "s3cret-pass"


@dataclass(frozen=True)
class Pki:
    ca: Path
    cert: Path
    key: Path


def _openssl(workdir: Path, *args: str) -> None:
    subprocess.run([find_binary("openssl"), *args], cwd=workdir, check=True, capture_output=True, timeout=30)


def make_pki(workdir: Path) -> Pki:
    """A throw-away CA and a server certificate for 127.0.0.1."""
    _openssl(
        workdir,
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "1",
        "-subj",
        "/CN=app-vision test CA",
    )
    _openssl(
        workdir,
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    )
    (workdir / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    _openssl(
        workdir,
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "1",
        "-extfile",
        "san.ext",
    )
    return Pki(workdir / "ca.crt", workdir / "server.crt", workdir / "server.key")


@pytest.fixture
def secured_broker(tmp_path: Path) -> Iterator[tuple[Broker, Pki]]:
    pki = make_pki(tmp_path)
    passwords = tmp_path / "passwords"
    subprocess.run(
        [find_binary("mosquitto_passwd"), "-b", "-c", str(passwords), USER, PASSWORD],
        check=True,
        capture_output=True,
        timeout=30,
    )
    broker = mosquitto(
        tmp_path,
        f"allow_anonymous false\npassword_file {passwords}\ncafile {pki.ca}\ncertfile {pki.cert}\n"
        f"keyfile {pki.key}\n",
    )
    broker.start()
    try:
        yield broker, pki
    finally:
        broker.stop()


def settings_for(broker: Broker, pki: Pki) -> BusSettings:
    return BusSettings(
        type="mqtt",
        protocol="ssl",
        host="127.0.0.1",
        port=broker.port,
        auth_mode="usernamepassword",
        username=USER,
        password=PASSWORD,
        ca_file=str(pki.ca),
        client_id="app-vision-tls",
        qos=1,
        connect_timeout_s=2.0,
    )


@pytest.mark.parametrize("verify", ["ca-file", "skip-cert-verify"])
def test_tls_with_password_round_trip(secured_broker: tuple[Broker, Pki], verify: str) -> None:
    broker, pki = secured_broker
    settings = settings_for(broker, pki)
    if verify == "skip-cert-verify":
        settings = replace(settings, ca_file="", skip_cert_verify=True)
    got = Collector()
    bus = create_bus(settings, WireFormat())
    bus.connect()
    try:
        wait_until(lambda: bus.connected)
        bus.subscribe(["edgex/#"], got.handler, got.on_error)
        bus.publish("edgex/events/x", MessageEnvelope(correlation_id="over-tls"))
        assert got.next() == (
            "edgex/events/x",
            MessageEnvelope(received_topic="edgex/events/x", correlation_id="over-tls"),
        )
    finally:
        bus.close()


@pytest.mark.parametrize(
    ("change", "expected_log"),
    [
        (lambda s: replace(s, password="wrong"), "refused the connection"),
        (lambda s: replace(s, ca_file=""), "unreachable"),  # the test CA is not trusted: the handshake fails
    ],
)
def test_bad_credentials_or_untrusted_server_never_connect(
    secured_broker: tuple[Broker, Pki],
    caplog: pytest.LogCaptureFixture,
    change: Callable[[BusSettings], BusSettings],
    expected_log: str,
) -> None:
    broker, pki = secured_broker
    bus = create_bus(change(settings_for(broker, pki)), WireFormat())
    with caplog.at_level(logging.WARNING, logger="service.edgex.bus"):
        bus.connect()
        try:
            wait_until(lambda: any(expected_log in r.getMessage() for r in caplog.records))
            assert not bus.connected
        finally:
            bus.close()
