"""BusSettings for service.edgex.bus from the MessageBus section and its secret."""

from __future__ import annotations

from dataclasses import replace

from service.config.errors import ConfigError
from service.config.sections import MessageBusSection
from service.edgex.bus.settings import BusSettings
from service.edgex.secretstore import SecretSource, read_bus_credentials


def secure_bus_settings(section: MessageBusSection, store: SecretSource) -> BusSettings:
    """Secure mode (go-mod-bootstrap): the secret MessageBus.SecretName in the secret store holds
    PEM text, not paths: `username`/`password`, `clientcert`/`clientkey`, `cacert`; checked for
    the AuthMode by read_bus_credentials (BusCredentialsError names the secret and the key)."""
    creds = read_bus_credentials(store, section.AuthMode, section.SecretName)
    plain = bus_settings(replace_auth(section), store)
    return replace(
        plain,
        auth_mode=section.AuthMode,
        username=creds.username,
        password=creds.password,
        ca_pem=creds.ca_cert_pem,
        cert_pem=creds.client_cert_pem,
        key_pem=creds.client_key_pem,
    )


def replace_auth(section: MessageBusSection) -> MessageBusSection:
    """The section with AuthMode none, so bus_settings reads no secret of its own."""
    return section.model_copy(update={"AuthMode": "none"})


def bus_settings(section: MessageBusSection, secrets: SecretSource) -> BusSettings:
    """Plain settings for create_bus; credentials come from the secret named MessageBus.SecretName.

    usernamepassword reads keys `username`/`password`; clientcert may read `clientcert`/`clientkey`/
    `cacert` file paths from the secret when Optional.CertFile/KeyFile/CaFile are empty.
    """
    secret = secrets.get(section.SecretName) if section.AuthMode != "none" else {}
    if section.AuthMode == "usernamepassword" and not secret.get("username"):
        name = section.SecretName
        raise ConfigError([f"MessageBus.SecretName: secret {name!r} has no 'username' (usernamepassword)"])
    optional = section.Optional
    cert_file = optional.CertFile or secret.get("clientcert", "")
    if section.AuthMode == "clientcert" and not cert_file:
        raise ConfigError(["MessageBus.Optional.CertFile: required when AuthMode is clientcert"])
    return BusSettings(
        type=section.Type,
        protocol=section.Protocol,
        host=section.Host,
        port=section.Port,
        auth_mode=section.AuthMode,
        username=secret.get("username", ""),
        password=secret.get("password", ""),
        client_id=optional.ClientId,
        qos=int(optional.Qos),
        keep_alive_s=int(optional.KeepAlive),
        retained=optional.Retained == "true",
        auto_reconnect=optional.AutoReconnect == "true",
        connect_timeout_s=float(optional.ConnectTimeout),
        skip_cert_verify=optional.SkipCertVerify == "true",
        nats_format=optional.Format,
        ca_file=optional.CaFile or secret.get("cacert", ""),
        cert_file=cert_file,
        key_file=optional.KeyFile or secret.get("clientkey", ""),
    )
