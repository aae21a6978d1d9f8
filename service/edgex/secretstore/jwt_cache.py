"""The service's own JWT for outgoing calls (core-command, support-notifications, core-metadata,
core-keeper): minted at `identity/oidc/token/<service-key>` and reused until shortly before `exp`.

The JWT's `exp` and `iat` are read without verifying the signature (it is our own, fresh from the
store); a new one is minted once less than `refresh_margin_s` (at most half its lifetime) is left.
One thread mints while the others wait for it, so a burst of calls costs one mint.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import jwt as pyjwt

from service.edgex.secretstore.client import OpenBaoClient
from service.edgex.secretstore.errors import BadStoreResponse
from service.edgex.secretstore.token_keeper import TokenKeeper


class JwtCache:
    """Thread-safe holder of the current service JWT."""

    def __init__(
        self,
        client: OpenBaoClient,
        keeper: TokenKeeper,
        *,
        refresh_margin_s: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._keeper = keeper
        self._margin_s = refresh_margin_s
        self._clock = clock
        self._lock = threading.Lock()
        self._jwt = ""
        self._refresh_at = 0.0
        self._mints = 0

    @property
    def mints(self) -> int:
        """How many JWTs were minted so far."""
        with self._lock:
            return self._mints

    def jwt(self) -> str:
        """The cached JWT, or a new one when it is near expiry; raises SecretStoreError types."""
        with self._lock:
            if not self._jwt or self._clock() >= self._refresh_at:
                minted = self._keeper.call(self._client.mint_jwt)
                self._refresh_at = _refresh_at(minted.jwt, minted.ttl_s, self._margin_s)
                self._jwt = minted.jwt
                self._mints += 1
            return self._jwt

    def authorization_header(self) -> dict[str, str]:
        """`{"Authorization": "Bearer <jwt>"}` for an outgoing EdgeX call."""
        return {"Authorization": f"Bearer {self.jwt()}"}

    def invalidate(self) -> None:
        """Forget the cached JWT (e.g. after a peer answered 401); the next call mints anew."""
        with self._lock:
            self._jwt, self._refresh_at = "", 0.0


def _refresh_at(token: str, ttl_s: int, margin_s: float) -> float:
    """When to mint the next JWT: `exp` less the margin, the margin capped at half the lifetime."""
    try:
        claims = pyjwt.decode(token, options={"verify_signature": False})
    except pyjwt.PyJWTError as exc:
        raise BadStoreResponse(f"the minted JWT does not decode ({type(exc).__name__})") from exc
    exp = claims.get("exp")
    if not isinstance(exp, int | float):
        raise BadStoreResponse("the minted JWT has no numeric exp claim")
    iat = claims.get("iat")
    lifetime = float(exp - iat) if isinstance(iat, int | float) else float(ttl_s)
    return float(exp) - min(margin_s, lifetime / 2)
