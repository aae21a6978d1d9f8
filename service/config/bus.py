"""BusSettings for service.edgex.bus from the MessageBus section and its secret."""

from __future__ import annotations

from service.config.errors import ConfigError
from service.config.secrets import InsecureSecretStore
from service.config.sections import MessageBusSection
from service.edgex.bus.settings import BusSettings


def bus_settings(section: MessageBusSection, secrets: InsecureSecretStore) -> BusSettings:
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
