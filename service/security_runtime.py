"""EdgeX secure mode while the service runs: the store token, secrets, service JWTs, JWT checks.

Built first by the composition root when EDGEX_SECURITY_SECRET_STORE is not `false`
(service.config.security). `start_secure_mode` reads the token file and checks the token with
lookup-self before anything else is built, so a missing or invalid file, a sealed or unreachable
store is the start error, naming the file or the store. Then the TokenKeeper renews the token
(period/2, the file read again after a 403); the SecureSecretStore serves `secret/edgex/<key>/`;
the JwtCache signs outgoing calls; the JwtValidator checks incoming ones.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from service.config.security import SecurityMode
from service.edgex.clients import HttpPeer, PeerSettings
from service.edgex.secretstore import (
    JwtCache,
    JwtValidationSettings,
    JwtValidator,
    OpenBaoClient,
    SecureSecretStore,
    TokenKeeper,
    VerificationKeys,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SecureParts:
    """The running secure-mode objects; `validator` is None with EDGEX_DISABLE_JWT_VALIDATION."""

    client: OpenBaoClient
    keeper: TokenKeeper
    secrets: SecureSecretStore
    jwt: JwtCache
    validator: JwtValidator | None
    proxy_auth: HttpPeer

    def stop(self) -> None:
        """Stop renewing and close the connections (the token stays valid until it expires)."""
        self.keeper.stop()
        self.proxy_auth.close()
        self.client.close()


def start_secure_mode(mode: SecurityMode, proxy_auth: PeerSettings) -> SecureParts:
    """Check the token and start renewing it; raises SecretStoreError types (TokenFileError,
    TokenRejected, StoreSealed, StoreUnavailable), each naming the file or the store."""
    client = OpenBaoClient(mode.store)
    keeper = TokenKeeper(client, mode.store.token_file)
    try:
        info = keeper.start()
    except Exception:
        client.close()
        raise
    log.info(
        "secure mode: secret store %s, token from %s (%s, policies %s)",
        client.url,
        mode.store.token_file,
        info.display_name or "token",
        ", ".join(info.identity_policies or info.policies) or "none",
    )
    peer = HttpPeer(proxy_auth)
    validator = None
    if mode.jwt_validation_disabled:
        log.warning("EDGEX_DISABLE_JWT_VALIDATION is set: incoming calls are not checked for a JWT")
    else:
        validator = JwtValidator(JwtValidationSettings(), client, keeper, VerificationKeys(peer))
    return SecureParts(
        client, keeper, SecureSecretStore(client, keeper), JwtCache(client, keeper), validator, peer
    )
