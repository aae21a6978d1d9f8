"""The message-bus secret per AuthMode, with go-mod-bootstrap's key names and checks."""

from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from service.edgex.secretstore import BusCredentialsError, parse_bus_credentials, read_bus_credentials


def pem_pair(name: str) -> tuple[str, str]:
    """A self-signed certificate and its key, as PEM text (as setup would store them)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode()


CERT, KEY = pem_pair("app-vision")
CA, OTHER_KEY = pem_pair("edgex-ca")


class DictSource:
    def __init__(self, secrets: dict[str, dict[str, str]]) -> None:
        self.secrets = secrets
        self.reads: list[str] = []

    def get(self, secret_name: str) -> dict[str, str]:
        self.reads.append(secret_name)
        return dict(self.secrets.get(secret_name, {}))


@pytest.mark.parametrize(
    ("mode", "data", "expected"),
    [
        ("usernamepassword", {"username": "u", "password": "p"}, ("u", "p", "", "", "")),
        ("usernamepassword", {"username": "u", "password": "p", "cacert": CA}, ("u", "p", "", "", CA)),
        ("clientcert", {"clientcert": CERT, "clientkey": KEY}, ("", "", CERT, KEY, "")),
        ("clientcert", {"clientcert": CERT, "clientkey": KEY, "cacert": CA}, ("", "", CERT, KEY, CA)),
        ("cacert", {"cacert": CA, "username": "ignored"}, ("", "", "", "", CA)),
    ],
)
def test_each_auth_mode_keeps_what_it_uses(
    mode: str, data: dict[str, str], expected: tuple[str, ...]
) -> None:
    got = parse_bus_credentials(mode, "message-bus", data)
    assert got.auth_mode == mode
    assert (got.username, got.password, got.client_cert_pem, got.client_key_pem, got.ca_cert_pem) == expected


@pytest.mark.parametrize(
    ("mode", "data", "error"),
    [
        ("usernamepassword", {"username": "u"}, "no 'password'"),
        ("usernamepassword", {}, "no 'username' or 'password'"),
        ("clientcert", {"clientcert": CERT}, "no 'clientkey'"),
        ("clientcert", {"clientcert": "not pem", "clientkey": KEY}, "'clientcert' is not a PEM certificate"),
        ("clientcert", {"clientcert": CERT, "clientkey": "not pem"}, "'clientkey' is not a plain PEM key"),
        ("clientcert", {"clientcert": CERT, "clientkey": OTHER_KEY}, "does not belong"),
        ("cacert", {}, "no 'cacert'"),
        ("cacert", {"cacert": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}, "not a PEM"),
        ("usernamepassword", {"username": "u", "password": "p", "cacert": "junk"}, "'cacert' is not"),
        ("UsernamePassword", {"username": "u", "password": "p"}, "is not one of"),
    ],
)
def test_what_a_mode_needs_is_checked_without_showing_values(
    mode: str, data: dict[str, str], error: str
) -> None:
    with pytest.raises(BusCredentialsError, match=error) as caught:
        read_bus_credentials(DictSource({"message-bus": data}), mode)
    message = str(caught.value)
    assert "message-bus" in message or "AuthMode" in message
    assert all(value not in message for value in data.values() if len(value) > 3)


def test_none_reads_no_secret() -> None:
    source = DictSource({})
    assert read_bus_credentials(source, "none").auth_mode == "none"
    assert source.reads == []


def test_the_secret_name_is_the_configured_one() -> None:
    source = DictSource({"mqtt-creds": {"username": "u", "password": "p"}})
    assert read_bus_credentials(source, "usernamepassword", "mqtt-creds").username == "u"
    assert source.reads == ["mqtt-creds"]


def test_secrets_stay_out_of_repr() -> None:
    got = parse_bus_credentials("clientcert", "message-bus", {"clientcert": CERT, "clientkey": KEY})
    assert "PRIVATE KEY" not in repr(got)
    assert "p4ss" not in repr(
        parse_bus_credentials("usernamepassword", "m", {"username": "u", "password": "p4ss"})
    )
