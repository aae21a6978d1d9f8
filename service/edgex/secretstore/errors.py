"""Errors of the secure-mode secret store (OpenBao), its token, the service JWT and incoming JWTs.

SecretStoreError                 base; never carries a token, a secret or a JWT in its message
├── TokenFileError               the token file is missing, unreadable, not JSON or holds no token
├── StoreUnavailable             connection refused, timeout, 5xx: retry later (also PeerUnavailable)
│   └── StoreSealed              503 "Vault is sealed"
├── StoreRejected                the store answered 4xx (also PeerRejected)
│   ├── TokenRejected            403: token revoked, expired, never issued, or the policy denies
│   └── SecretNotFound           404: no secret under that name
├── BadStoreResponse             a 2xx answer without the fields OpenBao sends
├── InvalidSecretName            empty, or a path that leaves the service's folder (also ValueError)
├── BadVerificationKey           security-proxy-auth's key for an issuer does not load for the JWT's alg
├── BusCredentialsError          the message-bus secret lacks what its AuthMode needs (also ValueError)
└── JwtRejected                  an incoming JWT is not acceptable; `reason` says why (a JwtRejection)

Messages name the store by URL and the token file by path, so a start error says where to look.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from service.edgex.errors import EdgeXError, PeerRejected, PeerUnavailable


class SecretStoreError(EdgeXError):
    """Base of every secure-mode error."""


class TokenFileError(SecretStoreError):
    """The service's token file cannot be used; `path` names it."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"secret store token file {path}: {problem}")
        self.path = path
        self.problem = problem


class StoreUnavailable(SecretStoreError, PeerUnavailable):
    """The store could not be reached or answered 5xx; worth retrying. `url` is the store's."""

    def __init__(self, url: str, detail: str, status: int | None = None) -> None:
        PeerUnavailable.__init__(self, f"secret store at {url}", detail, status)
        self.url = url


class StoreSealed(StoreUnavailable):
    """The store is sealed (restarted and not yet unsealed by security-secretstore-setup)."""


class StoreRejected(SecretStoreError, PeerRejected):
    """The store answered with a 4xx status; `message` is its `errors` list, joined."""

    def __init__(self, url: str, status: int, message: str) -> None:
        PeerRejected.__init__(self, f"secret store at {url}", status, message)
        self.url = url


class TokenRejected(StoreRejected):
    """403: the token is revoked, expired or unknown, or its policy does not allow the request."""


class SecretNotFound(StoreRejected):
    """404: nothing is stored under that secret name."""


class BadStoreResponse(SecretStoreError):
    """A successful answer that lacks what OpenBao sends (wrong JSON shape)."""


class BadVerificationKey(SecretStoreError):
    """The verification key security-proxy-auth holds for an issuer cannot verify that algorithm."""


class InvalidSecretName(SecretStoreError, ValueError):
    """A secret name that is empty or would leave `secret/edgex/<service-key>/`."""


class BusCredentialsError(SecretStoreError, ValueError):
    """The message-bus secret does not hold what its AuthMode needs (names keys, never values)."""


class JwtRejection(StrEnum):
    """Why an incoming JWT was refused (the 401 answer may say so)."""

    MISSING = "missing"  # no `Authorization: Bearer <jwt>` header
    GARBAGE = "garbage"  # not a JWT at all
    EXPIRED = "expired"
    WRONG_AUDIENCE = "wrong audience"
    BAD_SIGNATURE = "bad signature"
    INACTIVE = "inactive"  # OpenBao's introspection said active=false for another reason
    UNKNOWN_ISSUER = "unknown issuer"  # security-proxy-auth holds no key for the issuer
    UNSUPPORTED_ALGORITHM = "unsupported algorithm"


class JwtRejected(SecretStoreError):
    """An incoming JWT is not valid; `reason` is the JwtRejection, `detail` the verifier's words."""

    def __init__(self, reason: JwtRejection, detail: str = "") -> None:
        super().__init__(f"JWT rejected ({reason.value})" + (f": {detail}" if detail else ""))
        self.reason = reason
        self.detail = detail
