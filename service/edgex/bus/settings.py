"""BusSettings: what a bus client needs from the MessageBus configuration section."""

from __future__ import annotations

import os
import ssl
import tempfile
from dataclasses import dataclass, field

TLS_PROTOCOLS = frozenset({"ssl", "tls", "mqtts", "tcps", "rediss", "nats+tls"})


@dataclass(frozen=True, slots=True)
class BusSettings:
    """Plain settings built by service.config from `MessageBus` (+ `Optional`, + the bus secret).

    `type` is the EdgeX `MessageBus.Type` (mqtt | redis | nats-core | memory); `protocol` picks TLS
    when it is one of TLS_PROTOCOLS. `ca_file`/`cert_file`/`key_file` are PEM file paths;
    `ca_pem`/`cert_pem`/`key_pem` PEM text (secure mode: the message-bus secret's `cacert`,
    `clientcert`, `clientkey`), used when the matching file is not set.
    `reconnect_min_s`/`reconnect_max_s` bound the reconnect backoff (not EdgeX keys).
    """

    type: str = "memory"
    protocol: str = "tcp"
    host: str = "localhost"
    port: int = 1883
    auth_mode: str = "none"
    username: str = ""
    password: str = field(default="", repr=False)
    client_id: str = ""
    qos: int = 0
    keep_alive_s: int = 10
    retained: bool = False
    auto_reconnect: bool = True
    connect_timeout_s: float = 5.0
    skip_cert_verify: bool = False
    nats_format: str = "nats"
    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""
    ca_pem: str = field(default="", repr=False)
    cert_pem: str = field(default="", repr=False)
    key_pem: str = field(default="", repr=False)
    reconnect_min_s: float = 1.0
    reconnect_max_s: float = 30.0

    @property
    def uses_tls(self) -> bool:
        return self.protocol.lower() in TLS_PROTOCOLS

    @property
    def address(self) -> str:
        """`protocol://host:port`, for log lines."""
        return f"{self.protocol}://{self.host}:{self.port}"


def tls_context(settings: BusSettings) -> ssl.SSLContext | None:
    """The client TLS context for `settings`, or None when the protocol is plain TCP."""
    if not settings.uses_tls:
        return None
    context = ssl.create_default_context(cafile=settings.ca_file or None)
    if settings.ca_pem and not settings.ca_file:
        context.load_verify_locations(cadata=settings.ca_pem)
    if settings.cert_file:
        context.load_cert_chain(settings.cert_file, settings.key_file or None)
    elif settings.cert_pem:
        _load_pem_chain(context, settings.cert_pem, settings.key_pem)
    if settings.skip_cert_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _load_pem_chain(context: ssl.SSLContext, cert_pem: str, key_pem: str) -> None:
    """ssl loads a client certificate only from a file: write it (with its key) to a 0600 file
    in a fresh 0700 directory, load it, and delete both at once."""
    with tempfile.TemporaryDirectory(prefix="app-vision-tls-") as folder:
        path = os.path.join(folder, "client.pem")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(cert_pem.rstrip("\n") + "\n" + key_pem)
        context.load_cert_chain(path)
