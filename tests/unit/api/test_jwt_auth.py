"""JwtAuthMiddleware: every route but ping wants a JWT the validator accepts (401 BaseResponse);
a validator that cannot ask the store answers 503; the JWT never reaches the answer."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.api.jwt_auth import JwtAuthMiddleware
from service.edgex.secretstore import JwtRejected, JwtRejection, StoreSealed

GOOD = "good.jwt.token"


class FakeValidator:
    def __init__(self) -> None:
        self.seen: list[str | None] = []
        self.sealed = False

    def validate_header(self, authorization: str | None) -> object:
        self.seen.append(authorization)
        if self.sealed:
            raise StoreSealed("http://127.0.0.1:8200", "POST /v1/identity/oidc/introspect: sealed")
        if authorization is None:
            raise JwtRejected(JwtRejection.MISSING, "no 'Authorization: Bearer <jwt>' header")
        if authorization != f"Bearer {GOOD}":
            raise JwtRejected(JwtRejection.EXPIRED, "token is expired (exp)")
        return {"name": "core-command"}


def client(validator: FakeValidator) -> TestClient:
    app = FastAPI()

    @app.get("/api/v3/ping")
    def ping() -> dict[str, str]:
        return {"ok": "ping"}

    @app.get("/api/v3/version")
    def version() -> dict[str, str]:
        return {"ok": "version"}

    app.add_middleware(JwtAuthMiddleware, validator=validator)
    return TestClient(app)


def test_ping_is_open_and_nothing_is_checked() -> None:
    validator = FakeValidator()
    assert client(validator).get("/api/v3/ping").json() == {"ok": "ping"}
    assert validator.seen == []


def test_a_missing_or_rejected_jwt_is_a_401_base_response() -> None:
    validator = FakeValidator()
    api = client(validator)
    missing = api.get("/api/v3/version")
    assert missing.status_code == 401
    assert missing.json()["statusCode"] == 401 and "missing" in missing.json()["message"]
    expired = api.get("/api/v3/version", headers={"Authorization": "Bearer expired.jwt.here"})
    assert expired.status_code == 401 and "expired" in expired.json()["message"]
    assert "expired.jwt.here" not in expired.text
    assert api.get("/nowhere").status_code == 401  # unknown routes too: nothing is told without a JWT


def test_a_valid_jwt_passes() -> None:
    validator = FakeValidator()
    answer = client(validator).get("/api/v3/version", headers={"Authorization": f"Bearer {GOOD}"})
    assert answer.json() == {"ok": "version"}
    assert validator.seen == [f"Bearer {GOOD}"]


def test_a_store_that_cannot_be_asked_is_a_503() -> None:
    validator = FakeValidator()
    validator.sealed = True
    answer = client(validator).get("/api/v3/version", headers={"Authorization": f"Bearer {GOOD}"})
    assert answer.status_code == 503 and "sealed" in answer.json()["message"]
