"""core-keeper (EdgeX 4.x) client: service registry and KV configuration provider.

Registry (go-mod-registry `keeper/client.go`): `GET /registry/serviceId/{id}`; 200 -> `PUT
/registry`, 404 -> `POST /registry`, body `AddRegistrationRequest` with a nested `healthCheck`
{interval, path: /api/v3/ping, type: http}; keeper then polls the ping route. Deregister is
`DELETE /registry/serviceId/{id}`.

Configuration (go-mod-configuration `keeper/client.go`): keys live under `edgex/v4/<service-key>/`
(`/` separated, e.g. `edgex/v4/app-vision/Writable/LogLevel`). `GET /kvs/key/{key}?keyOnly=true`
lists keys (404: none), `?plaintext=true` returns `{"response": [{key, value, ...}]}`; the whole
tree is written once with `PUT /kvs/key/{base}?flatten=true` and body `{"value": <tree>}`. Keys
travel URL-escaped as one path segment (`edgex%2Fv4%2Fapp-vision`), as Go's EscapeAndJoinPath does.
Values are stored as text (lists as JSON text, decoded on the way back), as Go services do.
Keeper announces every change on `edgex/configs/<key>` over the message bus; `WritableWatcher`
polls the Writable subtree and its `refresh()` can also be called from that bus subscription.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import cast
from urllib.parse import quote, urlsplit

from service.edgex.clients import HttpPeer, HttpReply, PeerSettings
from service.edgex.errors import PeerError, PeerRejected
from service.edgex.event_types import API_VERSION, JsonValue

logger = logging.getLogger(__name__)

CONFIG_STEM = "edgex/v4"
COMMON_CONFIG_KEY = "core-common-config-bootstrapper"
WRITABLE = "Writable"
CONFIG_TOPIC_PREFIX = "edgex/configs"

ConfigTree = dict[str, JsonValue]


@dataclass(frozen=True, slots=True)
class Registration:
    """What keeper needs to list a service and health-check it."""

    service_id: str
    host: str
    port: int
    check_interval: str = "10s"
    check_path: str = "/api/v3/ping"
    check_type: str = "http"

    def to_request(self) -> dict[str, JsonValue]:
        """AddRegistrationRequest / UpdateRegistrationRequest body (core-keeper.yaml)."""
        return {
            "apiVersion": API_VERSION,
            "requestId": str(uuid.uuid4()),
            "registration": {
                "serviceId": self.service_id,
                "host": self.host,
                "port": self.port,
                "healthCheck": {
                    "interval": self.check_interval,
                    "path": self.check_path,
                    "type": self.check_type,
                },
            },
        }


@dataclass(frozen=True, slots=True)
class ProviderUrl:
    """A parsed `-cp` / EDGEX_CONFIG_PROVIDER value such as `keeper.http://edgex-core-keeper:59890`."""

    type: str
    protocol: str
    host: str
    port: int

    def peer(self, timeout_s: float = 5.0) -> PeerSettings:
        return PeerSettings("core-keeper", self.host, self.port, self.protocol, timeout_s)


def parse_provider_url(text: str) -> ProviderUrl:
    """Parse `<type>.<protocol>://<host>:<port>`; ValueError unless the type is keeper."""
    kind, dot, url = text.partition(".")
    parts = urlsplit(url)
    if not dot or parts.scheme not in {"http", "https"} or not parts.hostname or parts.port is None:
        raise ValueError(f"config provider {text!r}: expected keeper.http://<host>:<port>")
    if kind != "keeper":
        raise ValueError(f"config provider {text!r}: only keeper (EdgeX 4) is supported, not {kind!r}")
    return ProviderUrl(kind, parts.scheme, parts.hostname, parts.port)


def config_topic(service_key: str, sub_key: str = WRITABLE) -> str:
    """Bus topic on which keeper announces changes under a service's key, e.g. its Writable section."""
    return f"{CONFIG_TOPIC_PREFIX}/{CONFIG_STEM}/{service_key}/{sub_key}/#"


def encode_tree(tree: Mapping[str, JsonValue]) -> ConfigTree:
    """The tree as keeper stores it: nested maps kept, every leaf as text, lists as JSON text.

    As go-mod-configuration does, values are strings in KV (`true`, `59760`, `30s`); the config
    loader converts them back to the field types. None leaves are left out (the default applies).
    """
    out: ConfigTree = {}
    for key, value in tree.items():
        if isinstance(value, Mapping):
            out[key] = cast(JsonValue, encode_tree(value))
        elif value is not None:
            out[key] = _leaf_text(key, value)
    return out


def _leaf_text(key: str, value: JsonValue) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        raise ValueError(f"configuration key {key}: bytes cannot be stored in core-keeper")
    return json.dumps(value)


def decode_pairs(prefix: str, pairs: Iterable[tuple[str, JsonValue]]) -> ConfigTree:
    """Rebuild the nested tree from keeper's flat `prefix/A/B` keys (inverse of `encode_tree`)."""
    root: ConfigTree = {}
    base = prefix.rstrip("/") + "/"
    for key, value in pairs:
        if not key.startswith(base):
            continue
        *parents, leaf = key[len(base) :].split("/")
        node = root
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ValueError(f"keeper key {key}: {part} is both a value and a section")
            node = child
        node[leaf] = _decode_value(value)
    return root


def _decode_value(value: JsonValue) -> JsonValue:
    if isinstance(value, str) and value.startswith("["):
        try:
            decoded: JsonValue = json.loads(value)
        except ValueError:
            return value
        return decoded
    return value


class KeeperClient:
    """Registry and KV calls for one service key against one core-keeper."""

    def __init__(self, peer: HttpPeer, service_key: str) -> None:
        self._peer = peer
        self._service_key = service_key

    @property
    def base_key(self) -> str:
        """`edgex/v4/<service-key>`: the root of this service's configuration."""
        return f"{CONFIG_STEM}/{self._service_key}"

    def ping(self) -> bool:
        """True when keeper answers `GET /ping`."""
        try:
            self._peer.call("GET", "/ping")
        except PeerError:
            return False
        return True

    def register(self, registration: Registration) -> str:
        """Register (POST) or refresh (PUT) the service; returns "created" or "updated"."""
        exists = self.registration(registration.service_id) is not None
        method = "PUT" if exists else "POST"
        self._peer.call(method, "/registry", body=registration.to_request())
        logger.info(
            "registered %s with core-keeper (%s:%d)",
            registration.service_id,
            registration.host,
            registration.port,
        )
        return "updated" if exists else "created"

    def registration(self, service_id: str) -> dict[str, JsonValue] | None:
        """The stored registration, or None when keeper has none (404)."""
        reply = self._call_unless_absent("GET", _registry_path(service_id))
        found = reply.body.get("registration") if reply is not None and isinstance(reply.body, dict) else None
        return found if isinstance(found, dict) else None

    def deregister(self, service_id: str) -> bool:
        """Remove the registration; False when keeper did not have it."""
        if self._call_unless_absent("DELETE", _registry_path(service_id)) is None:
            return False
        logger.info("deregistered %s from core-keeper", service_id)
        return True

    def keys(self, key: str) -> list[str]:
        """Every stored key under `key` (empty when there is none)."""
        reply = self._call_unless_absent("GET", _kv_path(key), {"keyOnly": "true"})
        return [str(k) for k in _response_items(reply)]

    def read(self, key: str) -> ConfigTree:
        """The nested tree stored under `key` ({} when there is none)."""
        reply = self._call_unless_absent("GET", _kv_path(key), {"plaintext": "true"})
        items = _response_items(reply)
        pairs = [(str(kv["key"]), kv.get("value")) for kv in items if isinstance(kv, dict)]
        return decode_pairs(key, pairs)

    def _call_unless_absent(
        self, method: str, path: str, params: Mapping[str, str] | None = None
    ) -> HttpReply | None:
        """The reply, or None when keeper answers 404 (nothing stored under that id or key)."""
        try:
            return self._peer.call(method, path, params=params)
        except PeerRejected as exc:
            if exc.status == 404:
                return None
            raise

    def write(self, key: str, tree: Mapping[str, JsonValue]) -> None:
        """Store the tree under `key` (flattened by keeper; existing keys are overwritten)."""
        self._peer.call("PUT", _kv_path(key), params={"flatten": "true"}, body={"value": encode_tree(tree)})

    def has_configuration(self) -> bool:
        return bool(self.keys(self.base_key))

    def configuration(self) -> ConfigTree:
        """This service's whole configuration tree from KV."""
        return self.read(self.base_key)

    def push_configuration(self, tree: Mapping[str, JsonValue]) -> None:
        """Seed KV with the service's configuration, as EdgeX services do on first start."""
        self.write(self.base_key, tree)
        logger.info("pushed configuration of %s to core-keeper", self._service_key)

    def common_configuration(self) -> tuple[ConfigTree, ConfigTree]:
        """(all-services, app-services) trees written by core-common-config-bootstrapper."""
        base = f"{CONFIG_STEM}/{COMMON_CONFIG_KEY}"
        return self.read(f"{base}/all-services"), self.read(f"{base}/app-services")

    def load_configuration(self, local: Mapping[str, JsonValue], *, overwrite: bool = False) -> ConfigTree:
        """KV tree when present (push `local` first when absent or `overwrite`); PeerError if unreachable."""
        if overwrite or not self.has_configuration():
            self.push_configuration(local)
            return dict(local)
        return self.configuration()


def _kv_path(key: str) -> str:
    return f"/kvs/key/{quote(key, safe='')}"


def _registry_path(service_id: str) -> str:
    return f"/registry/serviceId/{quote(service_id, safe='')}"


def _response_items(reply: HttpReply | None) -> list[JsonValue]:
    """The `response` list of a KV reply ([] for none or an unexpected shape)."""
    found = reply.body.get("response") if reply is not None and isinstance(reply.body, dict) else None
    return found if isinstance(found, list) else []


class WritableWatcher:
    """Calls `on_change(writable_tree)` whenever `<base>/Writable` in KV differs from the last seen.

    A daemon thread polls every `interval_s`; `refresh()` checks at once (call it from a bus
    subscription to `config_topic(service_key)` for immediate updates). Errors are logged and the
    next poll retries; `on_change` runs on the polling (or calling) thread and must be quick.
    """

    def __init__(
        self, client: KeeperClient, on_change: Callable[[ConfigTree], None], interval_s: float = 5.0
    ) -> None:
        self._client = client
        self._on_change = on_change
        self._interval_s = interval_s
        self._last: ConfigTree | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, initial: ConfigTree | None = None) -> None:
        """Start polling; `initial` is the Writable tree already applied (no callback for it)."""
        self._last = initial
        self._thread = threading.Thread(target=self._run, name="keeper-writable-watch", daemon=True)
        self._thread.start()

    def refresh(self) -> bool:
        """Fetch Writable now; True when it changed (and on_change was called)."""
        current = self._client.read(f"{self._client.base_key}/{WRITABLE}")
        with self._lock:
            if not current or current == self._last:
                return False
            self._last = current
        self._on_change(current)
        return True

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self._interval_s + 5.0)

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                self.refresh()
            except Exception:  # the watcher is an edge: keep polling whatever keeper does
                logger.warning(
                    "core-keeper Writable poll failed; retrying in %.0f s", self._interval_s, exc_info=True
                )
