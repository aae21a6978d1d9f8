"""Validation of an incoming `Authorization: Bearer <jwt>`, as go-mod-bootstrap's handler does it.

The JWT is parsed without verification to read its issuer. If that is OpenBao's OIDC issuer
(`/v1/identity/oidc`), OpenBao introspects it (it must answer `active: true`); then its `aud` must
hold the expected audience (`edgex`; OpenBao checks the audience only when asked with a client_id,
which EdgeX does not send, so it is checked here on the claims OpenBao just verified). Any other
issuer's JWT is verified with that issuer's key from security-proxy-auth and must carry `exp`.

Deviation from EdgeX, on purpose: go-mod-bootstrap's VerifyJWT lets an *expired* proxy-auth JWT
through (it skips ErrTokenExpired); here it is rejected as expired.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jwt as pyjwt

from service.edgex.secretstore.client import OpenBaoClient
from service.edgex.secretstore.errors import JwtRejected, JwtRejection
from service.edgex.secretstore.proxy_auth_keys import VerificationKeys
from service.edgex.secretstore.settings import DEFAULT_JWT_AUDIENCE, OPENBAO_ISSUER
from service.edgex.secretstore.token_keeper import TokenKeeper


@dataclass(frozen=True, slots=True)
class JwtValidationSettings:
    """`disabled` is EDGEX_DISABLE_JWT_VALIDATION; `audience` "" skips the audience check."""

    disabled: bool = False
    audience: str = DEFAULT_JWT_AUDIENCE
    openbao_issuer: str = OPENBAO_ISSUER


@dataclass(frozen=True, slots=True)
class JwtClaims:
    """The registered claims of an accepted JWT (`name` is EdgeX's service or user name)."""

    issuer: str
    subject: str
    audience: tuple[str, ...]
    name: str
    issued_at: int | None
    expires_at: int | None


class JwtValidator:
    """Checks incoming bearer JWTs; raises JwtRejected with the reason, or the store's errors."""

    def __init__(
        self,
        settings: JwtValidationSettings,
        client: OpenBaoClient,
        keeper: TokenKeeper,
        keys: VerificationKeys | None = None,
    ) -> None:
        self._settings = settings
        self._client = client
        self._keeper = keeper
        self._keys = keys

    @property
    def enabled(self) -> bool:
        """False when validation is switched off (EDGEX_DISABLE_JWT_VALIDATION)."""
        return not self._settings.disabled

    def validate_header(self, authorization: str | None) -> JwtClaims | None:
        """Check an `Authorization` header value; None (nothing checked) only when disabled."""
        if self._settings.disabled:
            return None
        parts = (authorization or "").split(" ")
        if len(parts) < 2 or parts[0].lower() != "bearer" or not parts[1]:
            raise JwtRejected(JwtRejection.MISSING, "no 'Authorization: Bearer <jwt>' header")
        return self.validate(parts[1])

    def validate(self, token: str) -> JwtClaims:
        """The claims of `token` once verified; raises JwtRejected, StoreUnavailable, TokenRejected
        (store token refused), or PeerUnavailable (security-proxy-auth down)."""
        header, unverified = _parse_unverified(token)
        issuer = unverified.get("iss")
        if not isinstance(issuer, str) or not issuer:
            raise JwtRejected(JwtRejection.GARBAGE, "no issuer (iss) claim")
        if issuer == self._settings.openbao_issuer:
            return self._introspected(token, unverified)
        return self._verified(token, issuer, str(header.get("alg", "")))

    def _introspected(self, token: str, unverified: dict[str, Any]) -> JwtClaims:
        result = self._keeper.call(lambda store_token: self._client.introspect(store_token, token))
        if not result.active:
            raise JwtRejected(_introspection_reason(result.error), result.error)
        claims = _claims(unverified)
        audience = self._settings.audience
        if audience and audience not in claims.audience:
            raise JwtRejected(JwtRejection.WRONG_AUDIENCE, f"aud is not {audience!r}")
        return claims

    def _verified(self, token: str, issuer: str, alg: str) -> JwtClaims:
        if self._keys is None:
            raise JwtRejected(JwtRejection.UNKNOWN_ISSUER, f"issuer {issuer!r} is not OpenBao")
        key = self._keys.key(issuer, alg)
        try:
            verified = pyjwt.decode(
                token, key, algorithms=[alg], options={"require": ["exp"], "verify_aud": False}
            )
        except pyjwt.ExpiredSignatureError as exc:
            raise JwtRejected(JwtRejection.EXPIRED, "exp has passed") from exc
        except pyjwt.InvalidSignatureError as exc:
            raise JwtRejected(JwtRejection.BAD_SIGNATURE, f"not signed by {issuer!r}") from exc
        except pyjwt.MissingRequiredClaimError as exc:
            raise JwtRejected(JwtRejection.GARBAGE, f"no {exc.claim} claim") from exc
        except pyjwt.InvalidTokenError as exc:
            raise JwtRejected(JwtRejection.INACTIVE, type(exc).__name__) from exc
        return _claims(verified)


def _parse_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        header = pyjwt.get_unverified_header(token)
        claims = pyjwt.decode(token, options={"verify_signature": False})
    except pyjwt.PyJWTError as exc:
        raise JwtRejected(JwtRejection.GARBAGE, "not a JWT") from exc
    return header, claims


def _introspection_reason(error: str) -> JwtRejection:
    """OpenBao's introspection error text (go-jose's words) as a reason."""
    lowered = error.lower()
    if "expired" in lowered:
        return JwtRejection.EXPIRED
    if "audience" in lowered:
        return JwtRejection.WRONG_AUDIENCE
    if "signature" in lowered:
        return JwtRejection.BAD_SIGNATURE
    if "parsing" in lowered or "malformed" in lowered:
        return JwtRejection.GARBAGE
    return JwtRejection.INACTIVE


def _claims(claims: dict[str, Any]) -> JwtClaims:
    aud = claims.get("aud")
    audience = (aud,) if isinstance(aud, str) else tuple(str(a) for a in aud) if isinstance(aud, list) else ()
    iat, exp = claims.get("iat"), claims.get("exp")
    return JwtClaims(
        issuer=str(claims.get("iss", "")),
        subject=str(claims.get("sub", "")),
        audience=audience,
        name=str(claims.get("name", "")),
        issued_at=int(iat) if isinstance(iat, int | float) else None,
        expires_at=int(exp) if isinstance(exp, int | float) else None,
    )
