"""Where the secret store listens, whose secrets the service reads, and where its token file is.

The defaults are EdgeX 4.0's `SecretStore` section (go-mod-bootstrap config): OpenBao on
localhost:8200 over http, KV v1 under `/v1/secret/edgex/<service-key>/`, and the token file that
security-secretstore-setup writes to `/tmp/edgex/secrets/<service-key>/secrets-token.json`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_SERVICE_KEY = "app-vision"
OPENBAO_ISSUER = "/v1/identity/oidc"  # the JWT issuer when OpenBao has no api_addr/issuer set
DEFAULT_JWT_AUDIENCE = "edgex"  # security-secretstore-setup's DefaultJWTAudience


def default_token_file(service_key: str) -> Path:
    """`/tmp/edgex/secrets/<service-key>/secrets-token.json`, as security-secretstore-setup writes it."""
    return Path("/tmp/edgex/secrets") / service_key / "secrets-token.json"


@dataclass(frozen=True, slots=True)
class SecretStoreSettings:
    """The store's address and the service's identity in it (from the SecretStore section)."""

    host: str = "localhost"
    port: int = 8200
    protocol: str = "http"
    service_key: str = DEFAULT_SERVICE_KEY
    token_file: Path = field(default_factory=lambda: default_token_file(DEFAULT_SERVICE_KEY))
    timeout_s: float = 5.0

    @property
    def base_url(self) -> str:
        """`http://host:port` without a trailing slash (messages name the store by it)."""
        return f"{self.protocol}://{self.host}:{self.port}"

    @property
    def secret_prefix(self) -> str:
        """`/v1/secret/edgex/<service-key>`: the service's KV v1 folder."""
        return f"/v1/secret/edgex/{self.service_key}"
