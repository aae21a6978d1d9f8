"""Verification keys for JWTs from issuers other than OpenBao, fetched from security-proxy-auth.

`GET /api/v3/key/verification/issuer/{issuer}` (the issuer path-escaped) answers a KeyDataResponse
`{"apiVersion", "statusCode", "keyData": {"issuer", "type": "verification", "key"}}`. The key text
becomes a key for the JWT's `alg` as go-mod-bootstrap's ProcessVerificationKey does: HS* take the
base64-decoded text (or the raw text when it is not base64), EdDSA, RS*, PS* and ES* a PEM public
key. Keys are cached by issuer and algorithm for the life of the process, as EdgeX does.
"""

from __future__ import annotations

import base64
import binascii
import threading

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.ed448 import Ed448PublicKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from service.edgex.clients import HttpPeer, path_segment
from service.edgex.errors import PeerRejected
from service.edgex.secretstore.errors import BadVerificationKey, JwtRejected, JwtRejection

VerificationKey = bytes | RSAPublicKey | EllipticCurvePublicKey | Ed25519PublicKey | Ed448PublicKey
_HMAC = frozenset({"HS256", "HS384", "HS512"})
_PEM_TYPES: dict[str, tuple[type, ...]] = {
    **{alg: (RSAPublicKey,) for alg in ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")},
    **{alg: (EllipticCurvePublicKey,) for alg in ("ES256", "ES384", "ES512")},
    "EdDSA": (Ed25519PublicKey, Ed448PublicKey),
}
SUPPORTED_ALGORITHMS = frozenset(_HMAC | _PEM_TYPES.keys())


class VerificationKeys:
    """Fetches and caches issuers' verification keys through one security-proxy-auth peer."""

    def __init__(self, peer: HttpPeer) -> None:
        self._peer = peer
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], VerificationKey] = {}

    def key(self, issuer: str, alg: str) -> VerificationKey:
        """The key verifying `alg` JWTs of `issuer`; raises JwtRejected (unknown issuer or
        algorithm), BadVerificationKey, or PeerUnavailable/PeerRejected from the peer."""
        if alg not in SUPPORTED_ALGORITHMS:
            raise JwtRejected(JwtRejection.UNSUPPORTED_ALGORITHM, f"alg {alg!r}")
        with self._lock:
            cached = self._cache.get((issuer, alg))
        if cached is not None:
            return cached
        key = load_verification_key(self._fetch(issuer), alg, issuer)
        with self._lock:
            self._cache[(issuer, alg)] = key
        return key

    def _fetch(self, issuer: str) -> str:
        try:
            reply = self._peer.call("GET", f"/key/verification/issuer/{path_segment(issuer)}")
        except PeerRejected as exc:
            if exc.status == 404:
                raise JwtRejected(JwtRejection.UNKNOWN_ISSUER, f"no verification key for {issuer!r}") from exc
            raise
        body = reply.body
        key_data = body.get("keyData") if isinstance(body, dict) else None
        key = key_data.get("key") if isinstance(key_data, dict) else None
        if not isinstance(key, str) or not key:
            raise BadVerificationKey(f"security-proxy-auth answered no keyData.key for issuer {issuer!r}")
        return key


def load_verification_key(text: str, alg: str, issuer: str) -> VerificationKey:
    """`text` (as security-proxy-auth stores it) as a key for `alg`."""
    if alg in _HMAC:
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            return text.encode()
    try:
        key = load_pem_public_key(text.encode())
    except (ValueError, TypeError) as exc:
        raise BadVerificationKey(f"the key of issuer {issuer!r} is not a PEM public key") from exc
    if not isinstance(key, _PEM_TYPES[alg]):
        raise BadVerificationKey(f"the key of issuer {issuer!r} cannot verify {alg}")
    return key  # type: ignore[return-value]  # narrowed by the isinstance above
