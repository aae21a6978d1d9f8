"""The message-bus secret as EdgeX reads it, per MessageBus.AuthMode.

go-mod-bootstrap (bootstrap/messaging) names the modes `none`, `usernamepassword`, `clientcert`
and `cacert`, and the secret's keys `username`, `password`, `clientcert`, `clientkey` and `cacert`;
the last three hold PEM text, not file paths. The checks are those of its ValidateSecretData:
usernamepassword needs a username and a password, clientcert a certificate and its key, cacert a
CA certificate, and a `cacert` present in any mode must parse. `none` reads no secret at all.
Errors name the secret, the mode and the key, never a value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from service.edgex.secretstore.errors import BusCredentialsError

AUTH_MODES = ("none", "usernamepassword", "clientcert", "cacert")
DEFAULT_BUS_SECRET = "message-bus"
_PUBLIC = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


class SecretSource(Protocol):
    """Anything with the secret stores' `get` (the insecure and the secure one)."""

    def get(self, secret_name: str) -> dict[str, str]:
        """The secret's data; {} when unknown."""
        ...


@dataclass(frozen=True, slots=True)
class BusCredentials:
    """What the bus client needs for its AuthMode (secrets hidden from repr)."""

    auth_mode: str
    username: str = ""
    password: str = field(default="", repr=False)
    client_cert_pem: str = field(default="", repr=False)
    client_key_pem: str = field(default="", repr=False)
    ca_cert_pem: str = field(default="", repr=False)


def read_bus_credentials(
    source: SecretSource, auth_mode: str, secret_name: str = DEFAULT_BUS_SECRET
) -> BusCredentials:
    """The credentials for `auth_mode` from the secret `secret_name` (not read for `none`)."""
    if auth_mode not in AUTH_MODES:
        raise _unknown_mode(auth_mode)
    if auth_mode == "none":
        return BusCredentials("none")
    return parse_bus_credentials(auth_mode, secret_name, source.get(secret_name))


def parse_bus_credentials(auth_mode: str, secret_name: str, data: dict[str, str]) -> BusCredentials:
    """Check `data` (the secret) for `auth_mode` and keep what that mode uses."""
    ca = data.get("cacert", "")
    if ca:
        _check_ca(secret_name, ca)
    if auth_mode == "usernamepassword":
        _require(secret_name, auth_mode, data, "username", "password")
        return BusCredentials(auth_mode, data["username"], data["password"], ca_cert_pem=ca)
    if auth_mode == "clientcert":
        _require(secret_name, auth_mode, data, "clientcert", "clientkey")
        _check_pair(secret_name, data["clientcert"], data["clientkey"])
        return BusCredentials(
            auth_mode, client_cert_pem=data["clientcert"], client_key_pem=data["clientkey"], ca_cert_pem=ca
        )
    if auth_mode == "cacert":
        _require(secret_name, auth_mode, data, "cacert")
        return BusCredentials(auth_mode, ca_cert_pem=ca)
    raise _unknown_mode(auth_mode)


def _unknown_mode(auth_mode: str) -> BusCredentialsError:
    return BusCredentialsError(f"MessageBus.AuthMode {auth_mode!r} is not one of {', '.join(AUTH_MODES)}")


def _require(secret_name: str, auth_mode: str, data: dict[str, str], *keys: str) -> None:
    missing = [key for key in keys if not data.get(key)]
    if missing:
        raise BusCredentialsError(
            f"secret {secret_name!r} has no {' or '.join(repr(k) for k in missing)} (AuthMode {auth_mode})"
        )


def _check_ca(secret_name: str, pem: str) -> None:
    try:
        x509.load_pem_x509_certificates(pem.encode())
    except ValueError as exc:
        raise BusCredentialsError(f"secret {secret_name!r}: 'cacert' is not a PEM certificate") from exc


def _check_pair(secret_name: str, cert_pem: str, key_pem: str) -> None:
    try:
        cert = x509.load_pem_x509_certificate(cert_pem.encode())
    except ValueError as exc:
        raise BusCredentialsError(f"secret {secret_name!r}: 'clientcert' is not a PEM certificate") from exc
    try:
        key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise BusCredentialsError(f"secret {secret_name!r}: 'clientkey' is not a plain PEM key") from exc
    if cert.public_key().public_bytes(*_PUBLIC) != key.public_key().public_bytes(*_PUBLIC):
        raise BusCredentialsError(f"secret {secret_name!r}: 'clientkey' does not belong to 'clientcert'")
