"""JwtValidator: OpenBao-issued JWTs by introspection (valid, expired, wrong audience, garbage,
bad signature, a revoked token's JWT), others with security-proxy-auth's verification key."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread
from typing import Any
from urllib.parse import unquote

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from service.edgex.clients import HttpPeer, PeerSettings
from service.edgex.errors import PeerUnavailable
from service.edgex.secretstore import (
    BadVerificationKey,
    JwtRejected,
    JwtRejection,
    JwtValidationSettings,
    JwtValidator,
    OpenBaoClient,
    StoreSealed,
    StoreUnavailable,
    TokenKeeper,
    VerificationKeys,
)
from tests.fakes.openbao import CAPTURES, FakeOpenBao

PROXY_ISSUER = "security-proxy-auth"
EC_KEY = ec.generate_private_key(ec.SECP256R1())
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
HMAC_SECRET = b"0123456789abcdef0123456789abcdef"


def public_pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


class FakeProxyAuth:
    """security-proxy-auth's GET /api/v3/key/verification/issuer/{issuer} (KeyDataResponse)."""

    def __init__(self, keys: dict[str, str]) -> None:
        self.keys = keys
        self.paths: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.paths.append(self.path)
                prefix = "/api/v3/key/verification/issuer/"
                issuer = unquote(self.path[len(prefix) :]) if self.path.startswith(prefix) else ""
                if issuer in fake.keys:
                    status = 200
                    body: dict[str, Any] = {"apiVersion": "v3", "statusCode": 200,
                                            "keyData": {"issuer": issuer, "type": "verification",
                                                        "key": fake.keys[issuer]}}  # fmt: skip
                else:
                    status, body = 404, {"apiVersion": "v3", "statusCode": 404, "message": "not found"}
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy_auth() -> Iterator[FakeProxyAuth]:
    fake = FakeProxyAuth(
        {
            PROXY_ISSUER: public_pem(EC_KEY),
            "rsa-issuer": public_pem(RSA_KEY),
            "hmac-issuer": base64.b64encode(HMAC_SECRET).decode(),
            "raw-hmac-issuer": "not base64 but a plain shared secret!!",
            "https://idp.example/realms/edge": public_pem(EC_KEY),
        }
    )
    yield fake
    fake.close()


@pytest.fixture
def validator(client: OpenBaoClient, keeper: TokenKeeper, proxy_auth: FakeProxyAuth) -> JwtValidator:
    keys = VerificationKeys(HttpPeer(PeerSettings("security-proxy-auth", "127.0.0.1", proxy_auth.port)))
    return JwtValidator(JwtValidationSettings(), client, keeper, keys)


def introspections(bao: FakeOpenBao) -> int:
    return sum(1 for r in bao.requests if r.path == "/v1/identity/oidc/introspect")


def rejection(validator: JwtValidator, token: str) -> JwtRejection:
    with pytest.raises(JwtRejected) as caught:
        validator.validate(token)
    return caught.value.reason


def test_a_service_jwt_is_accepted_by_introspection(bao: FakeOpenBao, validator: JwtValidator) -> None:
    claims = validator.validate_header(f"Bearer {bao.mint_jwt()}")
    assert claims is not None
    assert (claims.issuer, claims.name, claims.audience, claims.subject) == (
        "/v1/identity/oidc", "app-vision", ("edgex",), bao.entity_id,
    )  # fmt: skip
    assert introspections(bao) == 1
    assert validator.validate_header(f"bearer {bao.mint_jwt()}") is not None  # the scheme is case-blind


def test_expiry_follows_openbaos_one_minute_leeway(bao: FakeOpenBao, validator: JwtValidator) -> None:
    now = bao.now()
    assert validator.validate(bao.mint_jwt(ttl_s=5, issued_at=now - 35)).name == "app-vision"  # 30 s past exp
    assert rejection(validator, bao.mint_jwt(ttl_s=5, issued_at=now - 70)) is JwtRejection.EXPIRED


def test_a_jwt_for_another_audience_is_refused(bao: FakeOpenBao, validator: JwtValidator) -> None:
    assert rejection(validator, bao.mint_jwt(audience="not-edgex")) is JwtRejection.WRONG_AUDIENCE


def test_the_audience_check_can_be_switched_off(
    bao: FakeOpenBao, client: OpenBaoClient, keeper: TokenKeeper
) -> None:
    lenient = JwtValidator(JwtValidationSettings(audience=""), client, keeper)
    assert lenient.validate(bao.mint_jwt(audience="not-edgex")).audience == ("not-edgex",)


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "", "eyJhbGciOiJFUzM4NCJ9.e30.AAAA"])
def test_garbage_is_refused_without_asking_the_store(
    bao: FakeOpenBao, validator: JwtValidator, token: str
) -> None:
    assert rejection(validator, token) is JwtRejection.GARBAGE
    assert introspections(bao) == 0


def test_a_tampered_signature_or_another_stores_jwt_is_refused(
    bao: FakeOpenBao, validator: JwtValidator
) -> None:
    head, body, signature = bao.mint_jwt().split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    assert rejection(validator, f"{head}.{body}.{flipped}") is JwtRejection.BAD_SIGNATURE
    captured = json.loads((CAPTURES / "jwt-decoded.json").read_text())["jwt"]  # signed by the real OpenBao
    assert rejection(validator, captured) is JwtRejection.BAD_SIGNATURE


def test_a_revoked_tokens_jwt_stays_valid_as_captured(
    bao: FakeOpenBao, client: OpenBaoClient, validator: JwtValidator
) -> None:
    other = bao.issue_extra_token()
    minted = client.mint_jwt(other).jwt
    bao.revoke(other)
    assert validator.validate(minted).name == "app-vision"


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwdw==", "Token abc"])
def test_no_bearer_header_is_missing(validator: JwtValidator, header: str | None) -> None:
    with pytest.raises(JwtRejected) as caught:
        validator.validate_header(header)
    assert caught.value.reason is JwtRejection.MISSING


def test_disabled_validation_checks_nothing(
    bao: FakeOpenBao, client: OpenBaoClient, keeper: TokenKeeper
) -> None:
    off = JwtValidator(JwtValidationSettings(disabled=True), client, keeper)
    assert not off.enabled
    assert off.validate_header(None) is None and off.validate_header("Bearer garbage") is None
    assert introspections(bao) == 0


def test_a_store_gone_or_sealed_is_not_a_rejection(bao: FakeOpenBao, validator: JwtValidator) -> None:
    token = bao.mint_jwt()
    bao.seal()
    with pytest.raises(StoreSealed):
        validator.validate(token)
    bao.unseal()
    bao.go_away()
    with pytest.raises(StoreUnavailable, match=bao.url):
        validator.validate(token)
    bao.come_back()


def proxy_jwt(key: Any, alg: str, issuer: str = PROXY_ISSUER, **claims: Any) -> str:
    now = int(time.time())
    payload = {"iss": issuer, "sub": "alice", "name": "alice", "iat": now, "exp": now + 300} | claims
    return pyjwt.encode({k: v for k, v in payload.items() if v is not None}, key, algorithm=alg)


@pytest.mark.parametrize(
    ("key", "alg", "issuer"),
    [
        (EC_KEY, "ES256", PROXY_ISSUER),
        (RSA_KEY, "RS256", "rsa-issuer"),
        (HMAC_SECRET, "HS256", "hmac-issuer"),
        (b"not base64 but a plain shared secret!!", "HS256", "raw-hmac-issuer"),
        (EC_KEY, "ES256", "https://idp.example/realms/edge"),
    ],
)
def test_another_issuers_jwt_is_verified_with_its_proxy_auth_key(
    bao: FakeOpenBao, validator: JwtValidator, proxy_auth: FakeProxyAuth, key: Any, alg: str, issuer: str
) -> None:
    assert validator.validate(proxy_jwt(key, alg, issuer)).subject == "alice"
    assert validator.validate(proxy_jwt(key, alg, issuer)).name == "alice"
    assert len(proxy_auth.paths) == 1  # the key is cached
    assert proxy_auth.paths[0].endswith("/" + issuer.replace(":", "%3A").replace("/", "%2F"))
    assert introspections(bao) == 0


def test_proxy_auth_jwts_are_refused_for_the_usual_reasons(validator: JwtValidator) -> None:
    now = int(time.time())
    assert (
        rejection(validator, proxy_jwt(EC_KEY, "ES256", exp=now - 10)) is JwtRejection.EXPIRED
    )  # EdgeX lets it pass
    other = ec.generate_private_key(ec.SECP256R1())
    assert rejection(validator, proxy_jwt(other, "ES256")) is JwtRejection.BAD_SIGNATURE
    assert rejection(validator, proxy_jwt(EC_KEY, "ES256", exp=None)) is JwtRejection.GARBAGE
    assert rejection(validator, proxy_jwt(EC_KEY, "ES256", iss=None)) is JwtRejection.GARBAGE
    assert rejection(validator, proxy_jwt(EC_KEY, "ES256", "who-knows")) is JwtRejection.UNKNOWN_ISSUER
    assert rejection(validator, proxy_jwt(None, "none")) is JwtRejection.UNSUPPORTED_ALGORITHM
    with pytest.raises(BadVerificationKey):
        validator.validate(proxy_jwt(RSA_KEY, "RS256", PROXY_ISSUER))  # the issuer's key is EC


def test_without_proxy_auth_other_issuers_are_unknown(client: OpenBaoClient, keeper: TokenKeeper) -> None:
    bare = JwtValidator(JwtValidationSettings(), client, keeper)
    assert rejection(bare, proxy_jwt(EC_KEY, "ES256")) is JwtRejection.UNKNOWN_ISSUER


def test_proxy_auth_down_is_peer_unavailable(client: OpenBaoClient, keeper: TokenKeeper) -> None:
    gone = FakeProxyAuth({})
    gone.close()
    keys = VerificationKeys(
        HttpPeer(PeerSettings("security-proxy-auth", "127.0.0.1", gone.port, timeout_s=1))
    )
    with pytest.raises(PeerUnavailable, match="security-proxy-auth"):
        JwtValidator(JwtValidationSettings(), client, keeper, keys).validate(proxy_jwt(EC_KEY, "ES256"))
