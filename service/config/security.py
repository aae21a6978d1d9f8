"""EdgeX's security mode and the secret store's address, from the environment as EdgeX reads them.

go-mod-bootstrap (bootstrap/secret/helper.go): EDGEX_SECURITY_SECRET_STORE unset or anything but
the exact text `false` means secure mode. The store's settings are its `SecretStore` defaults
(OpenBao at localhost:8200 over http, the token file
`/tmp/edgex/secrets/<service-key>/secrets-token.json`), overridden as EdgeX overrides them:
SECRETSTORE_HOST, SECRETSTORE_PORT, SECRETSTORE_PROTOCOL, SECRETSTORE_TOKENFILE.
EDGEX_DISABLE_JWT_VALIDATION=true turns incoming JWT checks off. security-proxy-auth (keys for
JWTs of issuers other than OpenBao) is `Clients.security-proxy-auth` in EdgeX's secure common
configuration; here CLIENTS_SECURITY_PROXY_AUTH_HOST / _PORT, default localhost:59842.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from service.config.env import parse_go_bool
from service.config.errors import ConfigError
from service.edgex.secretstore import SecretStoreSettings, default_token_file

SECURITY_VARIABLE = "EDGEX_SECURITY_SECRET_STORE"
DISABLE_JWT_VARIABLE = "EDGEX_DISABLE_JWT_VALIDATION"


@dataclass(frozen=True, slots=True)
class SecurityMode:
    """Secure or not, where the store is, and whether incoming JWTs are checked."""

    secure: bool
    store: SecretStoreSettings = field(default_factory=SecretStoreSettings)
    jwt_validation_disabled: bool = False
    proxy_auth_host: str = "localhost"
    proxy_auth_port: int = 59842


def security_mode(environ: Mapping[str, str], service_key: str, timeout_s: float = 5.0) -> SecurityMode:
    """The mode the environment asks for; ConfigError for a malformed SECRETSTORE_* value."""
    secure = environ.get(SECURITY_VARIABLE) != "false"  # the exact string, as go-mod-bootstrap compares
    if not secure:
        return SecurityMode(False)
    issues: list[str] = []
    port = _port(environ, "SECRETSTORE_PORT", 8200, issues)
    proxy_port = _port(environ, "CLIENTS_SECURITY_PROXY_AUTH_PORT", 59842, issues)
    protocol = environ.get("SECRETSTORE_PROTOCOL", "").strip() or "http"
    if protocol not in {"http", "https"}:
        issues.append(f"SECRETSTORE_PROTOCOL={protocol}: expects http or https")
    disabled = False
    flag = environ.get(DISABLE_JWT_VARIABLE, "").strip()
    if flag:
        try:
            disabled = parse_go_bool(flag)
        except ValueError as exc:
            issues.append(f"{DISABLE_JWT_VARIABLE}: {exc}")
    if issues:
        raise ConfigError(issues)
    token_file = environ.get("SECRETSTORE_TOKENFILE", "").strip()
    store = SecretStoreSettings(
        host=environ.get("SECRETSTORE_HOST", "").strip() or "localhost",
        port=port,
        protocol=protocol,
        service_key=service_key,
        token_file=Path(token_file) if token_file else default_token_file(service_key),
        timeout_s=timeout_s,
    )
    proxy_host = environ.get("CLIENTS_SECURITY_PROXY_AUTH_HOST", "").strip() or "localhost"
    return SecurityMode(True, store, disabled, proxy_host, proxy_port)


def _port(environ: Mapping[str, str], variable: str, default: int, issues: list[str]) -> int:
    text = environ.get(variable, "").strip()
    if not text:
        return default
    if text.isdigit() and 1 <= int(text) <= 65535:
        return int(text)
    issues.append(f"{variable}={text}: expects a port number")
    return default
