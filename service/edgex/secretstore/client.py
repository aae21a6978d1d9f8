"""OpenBao's HTTP API as an EdgeX service uses it: token lookup and renewal, KV v1 secrets under
`secret/edgex/<service-key>/`, the service JWT (`identity/oidc/token/<service-key>`) and JWT
introspection. Paths, methods and bodies are those of go-mod-secrets and the captured exchanges.

Every call takes the token to send as `X-Vault-Token`: the TokenKeeper owns the current token and
retries once after a 403. Failures raise errors.py types: connection refused, timeouts and 5xx
StoreUnavailable (503 "Vault is sealed": StoreSealed), 403 TokenRejected, 404 SecretNotFound, other
4xx StoreRejected, a 2xx of the wrong shape BadStoreResponse. Messages carry the store URL, the
method and the path; never a token, a secret value or a JWT.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests

from service.edgex.secretstore.errors import (
    BadStoreResponse,
    InvalidSecretName,
    SecretNotFound,
    StoreRejected,
    StoreSealed,
    StoreUnavailable,
    TokenRejected,
)
from service.edgex.secretstore.settings import SecretStoreSettings

TOKEN_HEADER = "X-Vault-Token"
LOOKUP_SELF = "/v1/auth/token/lookup-self"
RENEW_SELF = "/v1/auth/token/renew-self"
OIDC_TOKEN = "/v1/identity/oidc/token"
INTROSPECT = "/v1/identity/oidc/introspect"


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """lookup-self: what renewal needs (a periodic token renews at period/2) and who it is."""

    ttl_s: int
    period_s: int
    renewable: bool
    entity_id: str
    display_name: str
    policies: tuple[str, ...]
    identity_policies: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Renewal:
    """renew-self: the token's new lease."""

    lease_duration_s: int
    renewable: bool


@dataclass(frozen=True, slots=True)
class MintedJwt:
    """identity/oidc/token/<role>: the JWT (hidden from repr), its lifetime and audience."""

    jwt: str = field(repr=False)
    ttl_s: int
    client_id: str


@dataclass(frozen=True, slots=True)
class Introspection:
    """identity/oidc/introspect always answers 200: active, or inactive with OpenBao's reason."""

    active: bool
    error: str = ""


class OpenBaoClient:
    """One `requests` session to one OpenBao; thread-safe as far as `requests.Session` is."""

    def __init__(self, settings: SecretStoreSettings, session: requests.Session | None = None) -> None:
        self._settings = settings
        self._session = session or requests.Session()

    @property
    def settings(self) -> SecretStoreSettings:
        """The store's address and the service key."""
        return self._settings

    @property
    def url(self) -> str:
        """The store's base URL (as errors name it)."""
        return self._settings.base_url

    def lookup_self(self, token: str) -> TokenInfo:
        """GET auth/token/lookup-self."""
        data = _object(self._request("GET", LOOKUP_SELF, token), "data", LOOKUP_SELF)
        try:
            return TokenInfo(
                ttl_s=int(data["ttl"]),
                period_s=int(data.get("period") or 0),
                renewable=bool(data["renewable"]),
                entity_id=str(data.get("entity_id") or ""),
                display_name=str(data.get("display_name") or ""),
                policies=tuple(data.get("policies") or ()),
                identity_policies=tuple(data.get("identity_policies") or ()),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BadStoreResponse(f"{self.url}{LOOKUP_SELF}: unexpected token data ({exc!r})") from exc

    def renew_self(self, token: str) -> Renewal:
        """POST auth/token/renew-self `{}` (a periodic token's ttl goes back to its period)."""
        auth = _object(self._request("POST", RENEW_SELF, token, {}), "auth", RENEW_SELF)
        try:
            return Renewal(int(auth["lease_duration"]), bool(auth["renewable"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise BadStoreResponse(f"{self.url}{RENEW_SELF}: unexpected auth block ({exc!r})") from exc

    def read_secret(self, token: str, name: str) -> dict[str, str]:
        """GET secret/edgex/<key>/<name>: the flat KV v1 map; raises SecretNotFound on 404."""
        path = self._secret_path(name)
        data = _object(self._request("GET", path, token), "data", path)
        return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}

    def write_secret(self, token: str, name: str, data: Mapping[str, str]) -> None:
        """POST secret/edgex/<key>/<name>: KV v1 replaces the whole secret with `data` (204)."""
        self._request("POST", self._secret_path(name), token, dict(data))

    def list_secrets(self, token: str) -> tuple[str, ...]:
        """LIST secret/edgex/<key>: the names stored (sorted by OpenBao); () when there are none."""
        path = self._settings.secret_prefix
        try:
            reply = self._request("LIST", path, token)
        except SecretNotFound:
            return ()
        keys = _object(reply, "data", path).get("keys")
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise BadStoreResponse(f"{self.url}{path}: LIST answer without data.keys")
        return tuple(keys)

    def mint_jwt(self, token: str) -> MintedJwt:
        """GET identity/oidc/token/<service-key>: a JWT for the service's outgoing calls."""
        path = f"{OIDC_TOKEN}/{quote(self._settings.service_key, safe='')}"
        data = _object(self._request("GET", path, token), "data", path)
        jwt, ttl = data.get("token"), data.get("ttl")
        if not isinstance(jwt, str) or not jwt or not isinstance(ttl, int):
            raise BadStoreResponse(f"{self.url}{path}: answer without data.token and data.ttl")
        return MintedJwt(jwt, ttl, str(data.get("client_id") or ""))

    def introspect(self, token: str, jwt: str) -> Introspection:
        """POST identity/oidc/introspect `{"token": jwt}` (go-mod-secrets IsJWTValid's body)."""
        reply = self._request("POST", INTROSPECT, token, {"token": jwt})
        if not isinstance(reply, dict) or not isinstance(reply.get("active"), bool):
            raise BadStoreResponse(f"{self.url}{INTROSPECT}: answer without a boolean 'active'")
        return Introspection(reply["active"], str(reply.get("error") or ""))

    def close(self) -> None:
        """Close the pooled connections."""
        self._session.close()

    # plumbing ----------------------------------------------------------------------------------
    def _secret_path(self, name: str) -> str:
        segments = name.split("/")
        if not name or any(s in {"", ".", ".."} for s in segments):
            raise InvalidSecretName(f"secret name {name!r}: empty, or not a plain path below the folder")
        return f"{self._settings.secret_prefix}/{quote(name, safe='/')}"

    def _request(self, method: str, path: str, token: str, body: dict[str, Any] | None = None) -> Any:
        headers = {TOKEN_HEADER: token}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        where = f"{method} {path}"
        try:
            resp = self._session.request(
                method, self.url + path, data=data, headers=headers, timeout=self._settings.timeout_s
            )
        except requests.Timeout as exc:
            detail = f"{where}: no answer within {self._settings.timeout_s:g} s"
            raise StoreUnavailable(self.url, detail) from exc
        except requests.RequestException as exc:
            raise StoreUnavailable(self.url, f"{where}: {type(exc).__name__} (not listening?)") from exc
        return self._reply(where, resp)

    def _reply(self, where: str, resp: requests.Response) -> Any:
        parsed = _json(resp)
        status = resp.status_code
        if 200 <= status < 300:
            if status != 204 and parsed is None:
                raise BadStoreResponse(f"{self.url} {where}: {status} without a JSON body")
            return parsed
        message = _errors(parsed) or resp.reason or str(status)
        if status == 503 and "sealed" in message.lower():
            raise StoreSealed(self.url, f"{where}: sealed ({message})", status)
        if status >= 500:
            raise StoreUnavailable(self.url, f"{where}: {status} {message}", status)
        if status == 403:
            raise TokenRejected(self.url, status, f"{where}: {message}")
        if status == 404:
            raise SecretNotFound(self.url, status, f"{where}: {message}")
        raise StoreRejected(self.url, status, f"{where}: {message}")


def _json(resp: requests.Response) -> Any:
    if not resp.content:
        return None
    try:
        return resp.json()
    except ValueError:
        return None


def _errors(parsed: Any) -> str:
    """OpenBao's `{"errors": [...]}`, whitespace collapsed ("1 error occurred: * permission denied")."""
    if isinstance(parsed, dict) and isinstance(parsed.get("errors"), list):
        return "; ".join(" ".join(str(e).split()) for e in parsed["errors"])
    return ""


def _object(reply: Any, key: str, path: str) -> dict[str, Any]:
    value = reply.get(key) if isinstance(reply, dict) else None
    if not isinstance(value, dict):
        raise BadStoreResponse(f"{path}: answer without a '{key}' object")
    return value
