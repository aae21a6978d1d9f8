"""FakeOpenBao: a stand-in OpenBao 2.4.4 as EdgeX 4.0.2's security-secretstore-setup leaves it,
answering like the captures in shared/edgex/secure-captures/ (statuses, bodies, `application/json`
on every answer, 204 included) and validating every request against OpenBao's own OpenAPI
document from there (path, method, declared query parameters, body schema; unknown paths 404).

    with FakeOpenBao(token_dir=tmp_path) as bao:      # writes <tmp>/app-vision/secrets-token.json
        bao.token_file, bao.token, bao.url
        bao.reissue()            # setup ran again: new token in the file, the old one revoked
        bao.seal(); bao.unseal() # 503 {"errors":["Vault is sealed"]}
        bao.go_away(); bao.come_back()   # stop listening (connection refused) and listen again
        bao.expire(token); bao.set_ttl(token, 5); bao.advance(60)    # time, on the fake's clock
        bao.renewals(), bao.secret("message-bus"), bao.put_secret(name, data)
        bao.mint_jwt(audience="other", ttl_s=5)       # a JWT as OpenBao mints it, for tests
        assert bao.invalid_requests == []

The policies are the captured ones: the app token may use its own KV folder, mint its own JWT and
introspect; the built-in default policy covers the token's own lookup/renew/revoke and
capabilities-self; anything else is 403 "1 error occurred: permission denied". A revoked, expired,
unknown or missing token is 403 "permission denied". `root_token` may do everything, including the
admin reads captured as reference. JWTs are ES384 with header {alg, kid}, claims aud, exp, iat,
iss, name, namespace, sub (jwt-decoded.json); introspection answers with go-jose's words and its
60 s leeway. `trusted_jwks` adds verification-only keys, so the captured JWTs introspect as they
did. One file (about 640 lines) because the spec check, policy and routes share one state.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import secrets
import string
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qsl, unquote, urlsplit

import jsonschema
import jwt as pyjwt
from cryptography.hazmat.primitives.asymmetric import ec

from tests.fakes.http_fake import RecordedRequest
from tests.shared_material import SHARED_DIR

CAPTURES = SHARED_DIR / "edgex" / "secure-captures"
Reply = tuple[int, Any]
DENIED = {"errors": ["permission denied"]}
POLICY_DENIED = {"errors": ["1 error occurred:\n\t* permission denied\n\n"]}
SEALED = {"errors": ["Vault is sealed"]}
ISSUER = "/v1/identity/oidc"
LEEWAY_S = 60  # go-jose's default, as observed: inactive from 60 s after exp
_ALNUM = string.ascii_letters + string.digits
CAPTURED_ENTITY = "0000fa4e-0000-0000-0000-000000000001"
_ADMIN_READS = {
    "/sys/policy/edgex-service-app-vision": "admin-policy-app-vision",
    "/identity/oidc/role/app-vision": "admin-oidc-role-app-vision",
    "/identity/oidc/key/edgex-identity": "admin-oidc-key-edgex-identity",
    "/identity/oidc/config": "admin-oidc-config",
    "/auth/userpass/users/app-vision": "admin-userpass-user-app-vision",
    "/identity/entity/name/app-vision": "admin-entity-app-vision",
    "/sys/mounts/secret": "admin-mount-secret",
}
_JOSE = "error validating claims: go-jose/go-jose/jwt: validation failed, "
THREE_PARTS = "error parsing token: go-jose/go-jose: compact JWS format must have three parts"
BAD_SIGNATURE = "unable to validate the token signature"
EXPIRED = _JOSE + "token is expired (exp)"
WRONG_AUDIENCE = _JOSE + "invalid audience claim (aud)"
_UNAUTHENTICATED = ("/sys/health", "/identity/oidc/.well-known/", "/sys/internal/specs/openapi")


# OpenAPI check ----------------------------------------------------------------------------------
def _strict(node: Any) -> Any:
    """Forbid body keys a schema does not name (catches typos such as `tokne`)."""
    if isinstance(node, list):
        return [_strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _strict(value) for key, value in node.items()}
    if out.get("type") == "object" and "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


class OpenBaoSpec:
    """One captured OpenAPI document: its paths as regexes (`{path}` spans slashes, as in
    OpenBao's `secret/{path}`), and request checks against them."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self._components = _strict(copy.deepcopy(document.get("components", {})))
        routes = []
        for template, item in document["paths"].items():
            pieces = re.split(r"\{(\w+)\}", template)  # literal, name, literal, name, ..., literal
            pattern = "".join(
                re.escape(piece) if i % 2 == 0 else (".+" if piece == "path" else "[^/]+")
                for i, piece in enumerate(pieces)
            )
            literal = sum(len(piece) for piece in pieces[::2])
            routes.append((-literal, template, re.compile(f"^{pattern}/?$"), item))
        self._routes = sorted(routes, key=lambda r: r[0])

    def match(self, path: str) -> tuple[str, dict[str, Any]] | None:
        """(template, path item) for a path without the /v1 prefix, the most literal first."""
        for _, template, regex, item in self._routes:
            if regex.match(path):
                return template, item
        return None

    def request_errors(
        self, item: dict[str, Any], method: str, query: dict[str, str], body: bytes
    ) -> list[str]:
        """Violations: undeclared method or query parameter, missing or schema-violating body."""
        op = item.get("get" if method == "LIST" else method.lower())
        if not isinstance(op, dict):
            return [f"method {method} not in the spec"]
        declared = {p["name"] for p in (*item.get("parameters", ()), *op.get("parameters", ()))}
        errors = [f"query parameter {q!r} not declared" for q in query if q not in declared]
        if method == "LIST" and "list" not in declared:
            errors.append("LIST on a path without a list parameter")
        parsed = json.loads(body) if body else None
        if body and not isinstance(parsed, dict):
            errors.append("body is not a JSON object")
        request_body = op.get("requestBody")
        if request_body is None:
            return errors
        if request_body.get("required") and not body:
            errors.append("required request body missing")
        ref = request_body["content"]["application/json"]["schema"]
        if body and isinstance(parsed, dict):
            validator = jsonschema.Draft4Validator({**ref, "components": self._components})
            errors += [f"body: {e.message}" for e in validator.iter_errors(parsed)]
        return errors


@functools.cache
def load_spec(name: str = "openbao-openapi.json") -> OpenBaoSpec:
    """`openbao-openapi.json` (app-vision token's view) or `openbao-openapi-root.json`, cached."""
    return OpenBaoSpec(json.loads((CAPTURES / name).read_text()))


def captured_jwks() -> list[dict[str, Any]]:
    """The public keys of the OpenBao that the captured JWTs came from (oidc-keys)."""
    keys: list[dict[str, Any]] = json.loads((CAPTURES / "oidc-keys.response.json").read_text())["body"][
        "keys"
    ]
    return keys


# state ------------------------------------------------------------------------------------------
@dataclass
class FakeToken:
    """A token as the fake knows it; times are on the fake's clock."""

    token: str
    accessor: str
    entity_id: str
    period_s: int
    created: float
    last_renewal: float | None = None
    renewals: int = 0
    revoked: bool = False
    root: bool = False

    def ttl(self, now: float) -> int:
        return int(self.period_s - (now - (self.last_renewal or self.created)))


def _random(n: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(n))


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts % 1 * 1e9):09d}Z"


def _envelope(
    data: Any = None, *, auth: Any = None, lease_s: int = 0, warnings: Any = None
) -> dict[str, Any]:
    return {
        "request_id": str(uuid.uuid4()),
        "lease_id": "",
        "renewable": False,
        "lease_duration": lease_s,
        "data": data,
        "wrap_info": None,
        "warnings": warnings,
        "auth": auth,
    }


class FakeOpenBao:
    """The stand-in; a real threaded HTTP server on a free loopback port (see module docstring)."""

    def __init__(
        self,
        *,
        service_key: str = "app-vision",
        token_dir: Path | None = None,
        period_s: int = 3600,
        jwt_ttl_s: int = 900,
        secrets_data: dict[str, dict[str, str]] | None = None,
        trusted_jwks: list[dict[str, Any]] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.service_key = service_key
        self.entity_id = str(uuid.uuid4())
        self.period_s = period_s
        self.jwt_ttl_s = jwt_ttl_s
        self._clock = clock
        self._offset_s = 0.0
        self._lock = threading.RLock()
        self._tokens: dict[str, FakeToken] = {}
        self._kv: dict[str, dict[str, str]] = {}
        self._sealed = False
        self._away = False
        self._jwks_flip = False
        self._requests: list[RecordedRequest] = []
        self._keys = [(str(uuid.uuid4()), ec.generate_private_key(ec.SECP384R1())) for _ in range(2)]
        self._verify_keys: dict[str, Any] = {kid: key.public_key() for kid, key in self._keys}
        for jwk in trusted_jwks or ():
            self._verify_keys[jwk["kid"]] = pyjwt.PyJWK(jwk).key
        self.token_file = (token_dir / service_key / "secrets-token.json") if token_dir else None
        self.root_token = self._issue(root=True).token
        self.token = ""
        self.reissue()
        for name, data in (secrets_data or {}).items():
            self.put_secret(name, data)
        self._server: ThreadingHTTPServer | None = None
        self.port = 0

    # lifecycle ---------------------------------------------------------------------------------
    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Listen (a free port the first time, the same port afterwards) in a thread."""
        server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler_for(self))
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, args=(0.05,), name="fake-openbao", daemon=True).start()
        self._away = False

    def stop(self) -> None:
        """Stop listening (new connections are refused; kept-alive ones are dropped)."""
        self._away = True
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    go_away = stop
    come_back = start

    @property
    def url(self) -> str:
        """`http://127.0.0.1:<port>`."""
        return f"http://127.0.0.1:{self.port}"

    # knobs ---------------------------------------------------------------------------------------
    def now(self) -> float:
        """The fake's clock (the injected clock plus `advance`)."""
        return self._clock() + self._offset_s

    def advance(self, seconds: float) -> None:
        """Move the fake's clock on (tokens age, JWTs expire)."""
        self._offset_s += seconds

    def reissue(self) -> str:
        """What a run of security-secretstore-setup does: a new token (same entity) in the token
        file, and the previous one revoked. Returns the new token."""
        with self._lock:
            if self.token:
                self._tokens[self.token].revoked = True
            self.token = self._issue().token
        if self.token_file is not None:
            self.write_token_file(self.token)
        return self.token

    def write_token_file(self, token: str) -> None:
        """The userpass login response as setup writes it (the captured file, same key order,
        compact, no newline), 0600 in a 0700 folder."""
        assert self.token_file is not None
        record = self._tokens[token]
        body = json.loads(self._template_text("token-file.secrets-token.json"))
        body["auth"] |= {
            "accessor": record.accessor,
            "client_token": token,
            "entity_id": record.entity_id,
            "lease_duration": record.period_s,
        }
        body["request_id"] = str(uuid.uuid4())
        self.token_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.token_file.write_text(json.dumps(body, separators=(",", ":")))
        self.token_file.chmod(0o600)

    def _template_text(self, file_name: str) -> str:
        """A captured file with this fake's service key and entity id in place of the captured ones."""
        text = (CAPTURES / file_name).read_text().replace(CAPTURED_ENTITY, self.entity_id)
        return text.replace("app-vision", self.service_key)

    def _template(self, name: str) -> Any:
        """The body of the captured answer `name`, as a template to fill in."""
        return json.loads(self._template_text(f"{name}.response.json"))["body"]

    def issue_extra_token(self) -> str:
        """Another valid app token (not written to the file), e.g. to revoke in a test."""
        return self._issue().token

    def revoke(self, token: str) -> None:
        with self._lock:
            self._tokens[token].revoked = True

    def expire(self, token: str) -> None:
        """Let the token's ttl run out (it then gets 403 like a revoked one)."""
        self.set_ttl(token, 0)

    def set_ttl(self, token: str, ttl_s: int) -> None:
        with self._lock:
            record = self._tokens[token]
            record.last_renewal = None
            record.created = self.now() - (record.period_s - ttl_s)

    def renewals(self, token: str | None = None) -> int:
        """renew-self calls that succeeded, for one token or all."""
        with self._lock:
            tokens = [self._tokens[token]] if token else list(self._tokens.values())
            return sum(t.renewals for t in tokens)

    def seal(self) -> None:
        self._sealed = True

    def unseal(self) -> None:
        self._sealed = False

    def put_secret(self, name: str, data: dict[str, str]) -> None:
        with self._lock:
            self._kv[f"edgex/{self.service_key}/{name}"] = dict(data)

    def secret(self, name: str) -> dict[str, str] | None:
        with self._lock:
            found = self._kv.get(f"edgex/{self.service_key}/{name}")
            return dict(found) if found is not None else None

    def mint_jwt(
        self, *, audience: str = "edgex", ttl_s: int | None = None, issued_at: float | None = None
    ) -> str:
        """A JWT as identity/oidc/token/<key> mints it (ES384, current key, captured claims)."""
        iat = int(self.now() if issued_at is None else issued_at)
        claims = {
            "aud": audience,
            "exp": iat + (self.jwt_ttl_s if ttl_s is None else ttl_s),
            "iat": iat,
            "iss": ISSUER,
            "name": self.service_key,
            "namespace": "root",
            "sub": self.entity_id,
        }
        kid, key = self._keys[0]
        return pyjwt.encode(claims, key, algorithm="ES384", headers={"kid": kid, "typ": None})

    # inspection ----------------------------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def invalid_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if not r.valid]

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()

    # request handling ----------------------------------------------------------------------------
    def handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Reply:
        """Validate, record and answer one request (called on the server's threads)."""
        parts = urlsplit(raw_path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        token = headers.get("X-Vault-Token", "")
        reply, errors = self._answer(method, unquote(parts.path), query, token, body)
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        record = RecordedRequest(
            method, parts.path, query, headers, body, parsed, not errors, tuple(errors), reply[0]
        )
        with self._lock:
            self._requests.append(record)
        return reply

    def _answer(
        self, method: str, path: str, query: dict[str, str], token: str, body: bytes
    ) -> tuple[Reply, list[str]]:
        if not path.startswith("/v1/"):
            return (404, {"errors": []}), [f"path {path} outside /v1"]
        path = path[3:]
        if self._sealed:
            return (503, self._health() if path == "/sys/health" else SEALED), []
        record = self._valid_token(token)
        spec = load_spec("openbao-openapi-root.json" if record and record.root else "openbao-openapi.json")
        matched = spec.match(path)
        if matched is None:
            return (404, {"errors": ["1 error occurred:\n\t* unsupported path\n\n"]}), [
                f"unknown path {path}"
            ]
        try:
            errors = spec.request_errors(matched[1], method, query, body)
        except ValueError as exc:
            errors = [f"body is not JSON: {exc}"]
        if errors:
            return (400, {"errors": errors}), errors
        parsed = json.loads(body) if body else {}
        if method == "LIST" or (method == "GET" and query.get("list") == "true"):
            method = "LIST"
        if path.startswith(_UNAUTHENTICATED):
            return self._public(path, record), []
        if record is None:
            return (403, DENIED), []
        if not self._allowed(record, method, path):
            return (403, POLICY_DENIED), []
        with self._lock:
            return self._route(record, method, path, parsed), []

    def _valid_token(self, token: str) -> FakeToken | None:
        with self._lock:
            record = self._tokens.get(token)
            if record is None or record.revoked or (not record.root and record.ttl(self.now()) <= 0):
                return None
            return record

    def _issue(self, *, root: bool = False) -> FakeToken:
        record = FakeToken(
            "s." + _random(24),
            _random(24),
            "" if root else self.entity_id,
            0 if root else self.period_s,
            self.now(),
            root=root,
        )
        with self._lock:
            self._tokens[record.token] = record
        return record

    # policy --------------------------------------------------------------------------------------
    def capabilities(self, record: FakeToken, path: str) -> list[str]:
        """The token's capabilities on `path` (no /v1, no leading slash), as capabilities-self says."""
        if record.root:
            return ["root"]
        key = self.service_key
        rules = {
            "auth/token/lookup-self": {"read"},
            "auth/token/renew-self": {"update"},
            "auth/token/revoke-self": {"update"},
            "sys/capabilities-self": {"update"},
            f"identity/oidc/token/{key}": {"read"},
            "identity/oidc/introspect": {"create", "update"},
        }
        found = set(rules.get(path, ()))
        if path.startswith(f"secret/edgex/{key}/"):
            found |= {"create", "update", "delete", "list", "read"}
        return sorted(found) or ["deny"]

    def _allowed(self, record: FakeToken, method: str, path: str) -> bool:
        bare = path.lstrip("/")
        if method == "LIST":  # a list is checked against the folder with its trailing slash
            bare = bare.rstrip("/") + "/"
        wanted = {"GET": "read", "LIST": "list", "DELETE": "delete"}.get(method, "update")
        if method == "POST" and bare.startswith("secret/") and bare[len("secret/") :] not in self._kv:
            wanted = "create"
        caps = self.capabilities(record, bare)
        return "root" in caps or wanted in caps

    # routes --------------------------------------------------------------------------------------
    def _public(self, path: str, record: FakeToken | None) -> Reply:
        if path == "/sys/health":
            return 200, self._health()
        if path.endswith("/openid-configuration"):
            return 200, self._template("oidc-discovery")
        if path.endswith("/.well-known/keys"):
            keys = [_public_jwk(kid, key.public_key()) for kid, key in self._keys]
            self._jwks_flip = not self._jwks_flip  # the real one changed the order between calls
            return 200, {"keys": keys[::-1] if self._jwks_flip else keys}
        if path == "/sys/internal/specs/openapi":
            if record is None:
                return 200, {**load_spec().document, "paths": {}}
            return 200, load_spec(
                "openbao-openapi-root.json" if record.root else "openbao-openapi.json"
            ).document
        return 404, {"errors": []}

    def _health(self) -> dict[str, Any]:
        body: dict[str, Any] = self._template("sys-health-sealed" if self._sealed else "sys-health-unsealed")
        return body | {"server_time_utc": int(self.now())}

    def _route(self, record: FakeToken, method: str, path: str, body: dict[str, Any]) -> Reply:
        if path == "/auth/token/lookup-self":
            return 200, _envelope(self._lookup(record))
        if path == "/auth/token/renew-self":
            record.last_renewal = self.now()
            record.renewals += 1
            return 200, _envelope(auth=self._auth_block(record))
        if path == "/auth/token/revoke-self":
            record.revoked = True
            return 204, None
        if path == "/sys/capabilities-self":
            caps = {p: self.capabilities(record, p) for p in body.get("paths") or body.get("path") or ()}
            return 200, {**caps, **_envelope(dict(sorted(caps.items())))}
        if path.startswith("/secret/"):
            return self._kv_route(method, path[len("/secret/") :].rstrip("/"), body)
        if path.startswith("/identity/oidc/token/"):
            if record.root:
                return 400, {"errors": ["no entity associated with the request's token"]}
            return 200, _envelope({"client_id": "edgex", "token": self.mint_jwt(), "ttl": self.jwt_ttl_s})
        if path == "/identity/oidc/introspect":
            return 200, self._introspect(str(body.get("token", "")), body.get("client_id"))
        return self._admin(path)

    def _lookup(self, record: FakeToken) -> dict[str, Any]:
        now, data = self.now(), self._template("lookup-self")["data"]
        data |= {
            "accessor": record.accessor,
            "creation_time": int(record.created),
            "creation_ttl": record.period_s,
            "entity_id": record.entity_id,
            "expire_time": _iso(now + record.ttl(now)),
            "id": record.token,
            "issue_time": _iso(record.created),
            "period": record.period_s,
            "ttl": record.ttl(now),
        }
        if record.last_renewal is not None:
            data |= {"last_renewal": _iso(record.last_renewal), "last_renewal_time": int(record.last_renewal)}
        return dict(sorted(data.items()))

    def _auth_block(self, record: FakeToken) -> dict[str, Any]:
        auth: dict[str, Any] = self._template("renew-self")["auth"]
        return auth | {
            "client_token": record.token,
            "accessor": record.accessor,
            "entity_id": record.entity_id,
            "lease_duration": record.period_s,
        }

    def _kv_route(self, method: str, key: str, body: dict[str, Any]) -> Reply:
        if method == "LIST":
            prefix = key + "/"
            rests = [k[len(prefix) :] for k in self._kv if k.startswith(prefix)]
            names = sorted({rest.split("/")[0] + ("/" if "/" in rest else "") for rest in rests})
            return (200, _envelope({"keys": names})) if names else (404, {"errors": []})
        if method == "GET":
            found = self._kv.get(key)
            return (
                (200, _envelope(dict(found), lease_s=604800)) if found is not None else (404, {"errors": []})
            )
        if method == "POST":
            self._kv[key] = dict(body)
        else:
            self._kv.pop(key, None)
        return 204, None

    def _introspect(self, token: str, client_id: Any) -> dict[str, Any]:
        if token.count(".") != 2:
            return {"active": False, "error": THREE_PARTS}
        checks = {f"verify_{c}": False for c in ("exp", "aud", "iat", "nbf", "iss")}
        try:
            key = self._verify_keys.get(str(pyjwt.get_unverified_header(token).get("kid")))
            if key is None:
                return {"active": False, "error": BAD_SIGNATURE}
            claims = pyjwt.decode(token, key, algorithms=["ES384"], options=checks)
        except pyjwt.InvalidSignatureError:
            return {"active": False, "error": BAD_SIGNATURE}
        except pyjwt.PyJWTError as exc:
            return {"active": False, "error": f"error parsing token: {exc}"}
        if self.now() >= claims["exp"] + LEEWAY_S:
            return {"active": False, "error": EXPIRED}
        if client_id is not None and client_id != claims.get("aud"):
            return {"active": False, "error": WRONG_AUDIENCE}
        return {"active": True}

    def _admin(self, path: str) -> Reply:
        """The root-only reference reads, answered as captured (admin-*.json) for this entity."""
        name = _ADMIN_READS.get(path.replace(self.service_key, "app-vision"))
        if name is None:
            return 404, {"errors": []}
        return 200, self._template(name) | {"request_id": str(uuid.uuid4())}


def _public_jwk(kid: str, key: ec.EllipticCurvePublicKey) -> dict[str, Any]:
    """The JWKS entry OpenBao publishes for an ES384 key."""
    point = json.loads(pyjwt.algorithms.ECAlgorithm.to_jwk(key))
    return {
        "use": "sig",
        "kty": "EC",
        "kid": kid,
        "crv": "P-384",
        "alg": "ES384",
        "x": point["x"],
        "y": point["y"],
    }


def _handler_for(fake: FakeOpenBao) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            if fake._away:  # a kept-alive connection opened before go_away: drop it
                self.close_connection = True
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, payload = fake.handle(self.command, self.path, dict(self.headers.items()), body)
            data = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")  # on every answer, 204 too
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_PUT = do_POST = do_DELETE = do_LIST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
