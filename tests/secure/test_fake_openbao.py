"""The stand-in agrees with the captures: every captured request, replayed against it, gets the
captured status and a body of the same shape (and the same values, except ids, times, ttls, keys
and tokens); it takes the captured traffic as spec-valid and rejects what OpenBao would not."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt as pyjwt
import pytest
import requests

from tests.fakes.openbao import CAPTURES, FakeOpenBao, captured_jwks, load_spec
from tests.secure.support import BUS_SECRET

NAMES = sorted(p.name.removesuffix(".request.json") for p in CAPTURES.glob("*.request.json"))
VOLATILE = {
    "request_id", "creation_time", "issue_time", "expire_time", "last_renewal", "last_renewal_time",
    "server_time_utc", "ttl", "token", "id", "accessor", "client_token", "entity_id", "canonical_id",
    "cluster_name", "cluster_id", "kid", "x", "y", "uuid", "modified", "last_update_time",
}  # fmt: skip


def load(name: str, kind: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((CAPTURES / f"{name}.{kind}.json").read_text())
    return loaded


def differences(expected: Any, actual: Any, where: str = "body") -> list[str]:
    """Where `actual` differs from `expected` in shape, or in value outside VOLATILE keys."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        if set(expected) != set(actual):
            return [f"{where}: keys {sorted(set(expected) ^ set(actual))} differ"]
        found: list[str] = []
        for key, value in expected.items():
            if key in VOLATILE:
                if type(value) is not type(actual[key]):
                    found.append(f"{where}.{key}: {type(actual[key]).__name__}, not {type(value).__name__}")
            else:
                found += differences(value, actual[key], f"{where}.{key}")
        return found
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return [
            d
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for d in differences(e, a, f"{where}[{i}]")
        ]
    return [] if expected == actual else [f"{where}: {actual!r}, not {expected!r}"]


def clock_for(request: dict[str, Any]) -> float | None:
    """For introspection: the fake's time as the capture's (after exp for the expired ones)."""
    body = request["body"] or {}
    if "token" not in body or body["token"].count(".") != 2:
        return None
    claims = pyjwt.decode(body["token"], options={"verify_signature": False})
    return {
        "introspect-expired-within-leeway": claims["exp"] + 7,
        "introspect-expired": claims["exp"] + 60,
    }.get(request["name"], claims["iat"] + 30)


@pytest.fixture
def replay_bao(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FakeOpenBao]:
    captured = load(request.param, "request") | {"name": request.param}
    at = clock_for(captured)
    bao = FakeOpenBao(
        token_dir=tmp_path,
        trusted_jwks=captured_jwks(),
        secrets_data={"message-bus": BUS_SECRET, "camera-front": {"username": "u1", "password": "p1"}},
        **({"clock": lambda: at} if at is not None else {}),
    )
    with bao:
        yield bao


def send(bao: FakeOpenBao, captured: dict[str, Any], tokens: dict[str, str]) -> requests.Response:
    headers = {k: tokens.get(v, v) if k == "X-Vault-Token" else v for k, v in captured["headers"].items()}
    body = None if captured["body"] is None else json.dumps(captured["body"])
    return requests.request(
        captured["method"], bao.url + captured["path"], headers=headers, data=body, timeout=5
    )


@pytest.mark.parametrize("replay_bao", NAMES, indirect=True, ids=NAMES)
def test_a_captured_exchange_replays_alike(replay_bao: FakeOpenBao, request: pytest.FixtureRequest) -> None:
    name = request.node.callspec.id
    bao = replay_bao
    previous = bao.token
    bao.reissue()  # as setup re-ran during the capture: `previous` is now revoked
    revoked = bao.issue_extra_token()
    bao.revoke(revoked)
    tokens = {
        "<app-vision token>": bao.token,
        "<previous app-vision token (before setup re-ran)>": previous,
        "<app-vision token revoked by revoke-self>": revoked,
        "<root token>": bao.root_token,
    }
    if name == "lookup-self-after-renew":
        send(bao, load("renew-self", "request"), tokens)
    if name.endswith("-sealed"):
        bao.seal()
    reply = send(bao, load(name, "request"), tokens)
    expected = load(name, "response")
    assert reply.status_code == expected["status"]
    assert reply.headers["Content-Type"] == expected["headers"]["content-type"] == "application/json"
    assert differences(expected["body"], reply.json() if reply.content else None) == []
    assert bao.invalid_requests == []


def test_every_capture_pair_is_replayed() -> None:
    responses = sorted(p.name.removesuffix(".response.json") for p in CAPTURES.glob("*.response.json"))
    assert NAMES == responses
    assert len(NAMES) >= 50  # the glob found the captures


def test_the_jwt_it_mints_looks_like_the_captured_one(bao: FakeOpenBao) -> None:
    decoded = json.loads((CAPTURES / "jwt-decoded.json").read_text())
    reply = requests.get(
        f"{bao.url}/v1/identity/oidc/token/app-vision", headers={"X-Vault-Token": bao.token}, timeout=5
    ).json()
    token = reply["data"]["token"]
    header = pyjwt.get_unverified_header(token)
    claims = pyjwt.decode(token, options={"verify_signature": False})
    assert list(header) == list(decoded["header"]) and header["alg"] == "ES384"
    assert sorted(claims) == sorted(decoded["claims"])
    assert {k: claims[k] for k in ("aud", "iss", "name", "namespace")} == {
        k: decoded["claims"][k] for k in ("aud", "iss", "name", "namespace")
    }
    assert claims["exp"] - claims["iat"] == 900 == reply["data"]["ttl"]
    assert claims["sub"] == bao.entity_id
    assert len(token.split(".")[2]) == decoded["signature_b64url_length"]
    jwks = requests.get(f"{bao.url}/v1/identity/oidc/.well-known/keys", timeout=5).json()["keys"]
    key = next(k for k in jwks if k["kid"] == header["kid"])  # by kid: the order changes
    assert (
        pyjwt.decode(token, pyjwt.PyJWK(key).key, algorithms=["ES384"], audience="edgex")["name"]
        == "app-vision"
    )


def test_the_token_file_has_the_captured_layout(bao: FakeOpenBao) -> None:
    assert bao.token_file is not None
    captured = (CAPTURES / "token-file.secrets-token.json").read_text()
    written = bao.token_file.read_text()
    assert not written.endswith("\n") and " " not in written
    assert list(json.loads(written)) == list(json.loads(captured))
    assert list(json.loads(written)["auth"]) == list(json.loads(captured)["auth"])
    assert json.loads(written)["auth"]["client_token"] == bao.token
    assert bao.token_file.stat().st_mode & 0o777 == 0o600
    assert bao.token_file.parent.stat().st_mode & 0o777 == 0o700


def test_it_serves_the_openapi_document_of_the_caller(bao: FakeOpenBao) -> None:
    url = f"{bao.url}/v1/sys/internal/specs/openapi"
    app = requests.get(url, headers={"X-Vault-Token": bao.token}, timeout=5).json()
    root = requests.get(url, headers={"X-Vault-Token": bao.root_token}, timeout=5).json()
    anonymous = requests.get(url, timeout=5).json()
    assert (len(app["paths"]), len(root["paths"]), anonymous["paths"]) == (217, 222, {})
    assert app == load_spec().document


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "error"),
    [
        ("GET", "/v1/no/such/mount", None, 404, "unknown path"),
        ("POST", "/v1/identity/oidc/introspect", {"tokne": "x"}, 400, "Additional properties"),
        ("POST", "/v1/auth/token/renew-self", None, 400, "required request body"),
        ("PUT", "/v1/auth/token/lookup-self", None, 400, "method PUT"),
        ("LIST", "/v1/auth/token/lookup-self", None, 400, "LIST"),
        ("GET", "/v1/auth/token/lookup-self?verbose=1", None, 400, "'verbose' not declared"),
        ("POST", "/v1/secret/edgex/app-vision/x", ["not", "an", "object"], 400, "not a JSON object"),
    ],
)
def test_it_rejects_requests_the_spec_does_not_allow(
    tmp_path: Path, method: str, path: str, body: Any, status: int, error: str
) -> None:
    with FakeOpenBao(token_dir=tmp_path) as bao:
        data = None if body is None else json.dumps(body)
        reply = requests.request(
            method, bao.url + path, headers={"X-Vault-Token": bao.token}, data=data, timeout=5
        )
        assert reply.status_code == status
        assert reply.headers["Content-Type"] == "application/json"
        [invalid] = bao.invalid_requests
        assert error in " ".join(invalid.errors)


def test_knobs_expire_set_ttl_and_advance_age_tokens(tmp_path: Path) -> None:
    with FakeOpenBao(token_dir=tmp_path, period_s=100) as bao:

        def lookup(token: str) -> requests.Response:
            return requests.get(
                f"{bao.url}/v1/auth/token/lookup-self", headers={"X-Vault-Token": token}, timeout=5
            )

        bao.set_ttl(bao.token, 10)
        assert 9 <= lookup(bao.token).json()["data"]["ttl"] <= 10
        bao.advance(11)
        assert lookup(bao.token).status_code == 403
        other = bao.issue_extra_token()
        bao.expire(other)
        assert lookup(other).json() == {"errors": ["permission denied"]}


@pytest.mark.parametrize(
    ("actual", "found"),
    [
        ({"data": {"keys": ["a"]}, "request_id": "r2"}, False),
        ({"data": {"keys": ["b"]}, "request_id": "r1"}, True),
        ({"data": {"keys": ["a"], "more": 1}, "request_id": "r1"}, True),
        ({"data": {"keys": ["a"]}, "request_id": 7}, True),
    ],
)
def test_the_comparison_sees_value_key_and_type_changes(actual: dict[str, Any], found: bool) -> None:
    assert bool(differences({"data": {"keys": ["a"]}, "request_id": "r1"}, actual)) is found
