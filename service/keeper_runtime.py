"""core-keeper while the service runs: registration and live `Writable` updates.

With -r / EDGEX_USE_REGISTRY the service registers with the keeper of the Registry section once its
REST server is up (POST, or PUT when the id exists; keeper then polls /api/v3/ping every
Service.HealthCheckInterval) and deregisters on shutdown. When the configuration came from keeper
(-cp), `edgex/v4/<service-key>/Writable` is watched: polled every POLL_INTERVAL_S and re-read at
once when keeper announces a change on config_topic(<service-key>) over the message bus. Each new
Writable tree is converted, merged over the current section, environment overrides re-applied
(they always win), validated and handed to the application's listener.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pydantic import ValidationError

from service.config import Config, ConfigError, LoadedConfig
from service.config.env import apply_env_overrides
from service.config.loader import validation_issues
from service.config.provider import KEEPER_TIMEOUT_S, provider_url, typed_tree
from service.config.sections import WritableSection
from service.config.sources import deep_merge
from service.edgex.bus import MessageBus
from service.edgex.clients import AuthHeaderSource, HttpPeer, PeerSettings
from service.edgex.envelope import MessageEnvelope
from service.edgex.errors import PeerError
from service.edgex.keeper import ConfigTree, KeeperClient, Registration, WritableWatcher, config_topic

log = logging.getLogger(__name__)

POLL_INTERVAL_S = 5.0
WritableListener = Callable[[WritableSection, WritableSection], None]
"""Called with (old, new) on every effective Writable change."""


@dataclass(frozen=True, slots=True)
class KeeperSettings:
    """What the running service does with core-keeper (built from the loaded configuration)."""

    service_key: str
    registration: Registration
    registry: PeerSettings | None = None  # -r / EDGEX_USE_REGISTRY: the Registry section's keeper
    provider: PeerSettings | None = None  # the configuration came from this keeper: watch Writable
    poll_interval_s: float = POLL_INTERVAL_S


def keeper_settings(loaded: LoadedConfig[Config], service_key: str) -> KeeperSettings:
    config, boot = loaded.config, loaded.bootstrap
    service, timeout_s = config.Service, config.Service.request_timeout_s
    registration = Registration(service_key, service.Host, service.Port, service.HealthCheckInterval)
    registry = None
    if boot.use_registry:
        if config.Registry.Type != "keeper":
            raise ConfigError(["Registry.Type: only keeper (EdgeX 4) is supported with -r/--registry"])
        registry = PeerSettings("core-keeper", config.Registry.Host, config.Registry.Port, "http", timeout_s)
    url = provider_url(boot.config_provider) if boot.from_provider else None
    provider = url.peer(KEEPER_TIMEOUT_S) if url is not None else None
    return KeeperSettings(service_key, registration, registry, provider)


class LiveWritable:
    """Holds the current Writable section and turns keeper's Writable trees into changes."""

    def __init__(
        self, current: WritableSection, environ: Mapping[str, str], listener: WritableListener
    ) -> None:
        self._current = current
        self._environ = dict(environ)
        self._listener = listener
        self._lock = threading.Lock()

    @property
    def current(self) -> WritableSection:
        return self._current

    def on_tree(self, tree: ConfigTree) -> None:
        """Apply one Writable tree from keeper (KV text); an invalid one is logged and ignored."""
        with self._lock:
            old = self._current
            base = old.model_dump(by_alias=True, mode="json")
            merged = deep_merge(base, typed_tree(WritableSection, tree))
            try:
                data, _ = apply_env_overrides({"Writable": merged}, self._environ)
                new = WritableSection.model_validate(data["Writable"])
            except ValidationError as exc:
                issues = "; ".join(f"Writable.{issue}" for issue in validation_issues(exc))
                log.warning("ignoring the Writable change from core-keeper: %s", issues)
                return
            except ConfigError as exc:
                log.warning("ignoring the Writable change from core-keeper: %s", exc)
                return
            if new == old:
                return
            self._current = new
            self._listener(old, new)


class KeeperRuntime:
    """Registration and Writable watching; every step logs its failures and never raises."""

    def __init__(
        self,
        settings: KeeperSettings,
        bus: MessageBus,
        writable: LiveWritable,
        auth: AuthHeaderSource | None = None,
    ) -> None:
        self._settings = settings
        self._bus = bus
        self._auth = auth  # secure mode: the service JWT on every call to core-keeper
        self._peers: list[HttpPeer] = []
        self._registry = self._client(settings.registry)
        self._provider = self._client(settings.provider)
        self._watcher = (
            WritableWatcher(self._provider, writable.on_tree, settings.poll_interval_s)
            if self._provider is not None
            else None
        )
        self._topic = config_topic(settings.service_key)
        self._kick = threading.Event()
        self._stopping = threading.Event()
        self._refresher: threading.Thread | None = None
        self._registered = False

    @property
    def watching(self) -> bool:
        return self._watcher is not None

    def start(self) -> None:
        """Watch Writable (when the configuration came from keeper): polling plus the bus topic."""
        if self._watcher is None:
            return
        self._watcher.start()
        self._refresher = threading.Thread(
            target=self._refresh_loop, name="keeper-writable-kick", daemon=True
        )
        self._refresher.start()
        self._bus.subscribe([self._topic], self._on_config_message, self._on_config_error)
        log.info(
            "watching Writable in core-keeper (every %.0f s and on %s)",
            self._settings.poll_interval_s,
            self._topic,
        )

    def register(self) -> bool:
        """Register with the Registry keeper (call once REST answers); False when off or failed."""
        if self._registry is None:
            return False
        try:
            self._registry.register(self._settings.registration)
        except PeerError as exc:
            log.error("registration with core-keeper failed (the service keeps running): %s", exc)
            return False
        self._registered = True
        return True

    def stop(self) -> None:
        """Deregister, stop watching; idempotent."""
        if self._registry is not None and self._registered:
            self._registered = False
            try:
                self._registry.deregister(self._settings.service_key)
            except PeerError as exc:
                log.warning("deregistration from core-keeper failed: %s", exc)
        if self._watcher is not None and not self._stopping.is_set():
            self._stopping.set()
            self._kick.set()
            self._bus.unsubscribe([self._topic])
            self._watcher.stop()
            if self._refresher is not None:
                self._refresher.join(timeout=KEEPER_TIMEOUT_S + 2.0)
        for peer in self._peers:
            peer.close()

    def _client(self, settings: PeerSettings | None) -> KeeperClient | None:
        if settings is None:
            return None
        self._peers.append(HttpPeer(settings, auth=self._auth))
        return KeeperClient(self._peers[-1], self._settings.service_key)

    def _on_config_message(self, topic: str, envelope: MessageEnvelope) -> None:
        log.debug("core-keeper announced a configuration change on %s", topic)
        self._kick.set()  # the bus thread only signals; the refresher thread calls keeper

    def _on_config_error(self, topic: str, exc: Exception) -> None:
        log.debug("undecodable configuration announcement on %s (%s): re-reading Writable", topic, exc)
        self._kick.set()

    def _refresh_loop(self) -> None:
        while True:
            self._kick.wait()
            if self._stopping.is_set() or self._watcher is None:
                return
            self._kick.clear()
            try:
                self._watcher.refresh()
            except Exception:  # an edge thread: keep listening whatever keeper does
                log.warning("re-reading Writable from core-keeper failed", exc_info=True)
