"""Composition root: config -> metrics -> bus -> pipeline (engine inside) -> REST; start, serve, stop.

The bus subscription and POST /api/v3/trigger both hand events to the pipeline's ingress.

`Application` alone builds and wires the long-lived objects. They start in that order and stop in
reverse: REST stops accepting, telemetry stops, the bus subscription is dropped, the pipeline
drains, the bus closes. `run()` serves until SIGTERM/SIGINT and returns the process exit code.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from types import FrameType
from typing import Protocol

import uvicorn
from fastapi import APIRouter

from service.access import AccessControl
from service.access_runtime import install_access, open_access, warn_if_exposed
from service.api.edgex_routes import EdgeXApiDeps, EventSink
from service.api.server import build_server, create_app
from service.config import Config, InsecureSecretStore, LoadedConfig, redact
from service.config.bus import bus_settings, secure_bus_settings
from service.config.duration import parse_duration_s
from service.config.loader import SERVICE_KEY
from service.config.sections import ClientInfo, WritableSection
from service.edgex.bus import MessageBus, create_bus
from service.edgex.clients import AuthHeaderSource, HttpPeer, PeerSettings
from service.edgex.commands import BusCommandClient, BusCommandSettings, CommandClient, RestCommandClient
from service.edgex.envelope import MessageEnvelope
from service.edgex.notifications import NotificationClient
from service.edgex.secretstore import SecretSource
from service.edgex.wire_format import WireFormat
from service.keeper_runtime import KeeperRuntime, LiveWritable, keeper_settings
from service.metrics import Metrics
from service.security_runtime import SecureParts, start_secure_mode
from service.telemetry import TelemetryPublisher, TelemetrySettings

log = logging.getLogger(__name__)

_LOG_LEVELS = {"TRACE": logging.DEBUG, "DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARN": logging.WARNING}


def service_version() -> str:
    try:
        return metadata.version("app-vision")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def apply_log_level(level: str) -> None:
    """Writable.LogLevel on the root logger (EdgeX TRACE has no Python level: DEBUG)."""
    logging.getLogger().setLevel(_LOG_LEVELS.get(level, logging.ERROR))


class BusHandler(Protocol):
    """The bus subscription's handlers (service.pipeline.ingest.ingress.EventIngress)."""

    def on_envelope(self, topic: str, envelope: MessageEnvelope) -> None: ...

    def on_error(self, topic: str, exc: Exception) -> None: ...


class Ingress(BusHandler, EventSink, Protocol):
    """The pipeline's one way in: bus messages and HTTP-triggered events."""


@dataclass(frozen=True, slots=True)
class PipelineParts:
    """What the pipeline contributes to the service: its ingress, its routes, start and stop."""

    ingress: Ingress
    routers: tuple[APIRouter, ...] = ()
    start: Callable[[], None] = field(default=lambda: None)
    stop: Callable[[], None] = field(default=lambda: None)


def peer_settings(key: str, client: ClientInfo, timeout_s: float) -> PeerSettings:
    """REST peer settings of one Clients.<key> entry."""
    return PeerSettings(key, client.Host, client.Port, client.Protocol, timeout_s)


def build_command_client(
    config: Config, bus: MessageBus, wire: WireFormat, auth: AuthHeaderSource | None = None
) -> CommandClient:
    """core-command over the bus (Clients.core-command.UseMessageBus, the AFS default) or REST
    (with the service JWT from `auth` in secure mode)."""
    client, timeout_s = config.Clients.core_command, config.Service.request_timeout_s
    if client.UseMessageBus:
        settings = BusCommandSettings(config.MessageBus.BaseTopicPrefix, timeout_s, wire.name_field_escape)
        return BusCommandClient(bus, settings)
    return RestCommandClient(HttpPeer(peer_settings("core-command", client, timeout_s), auth=auth))


def build_notification_client(config: Config, auth: AuthHeaderSource | None = None) -> NotificationClient:
    """support-notifications is REST-only in EdgeX (with the service JWT in secure mode)."""
    client = config.Clients.support_notifications
    settings = peer_settings("support-notifications", client, config.Service.request_timeout_s)
    return NotificationClient(HttpPeer(settings, auth=auth))


def build_pipeline(
    config: Config,
    bus: MessageBus,
    wire: WireFormat,
    metrics: Metrics,
    secrets: SecretSource | None = None,
    auth: AuthHeaderSource | None = None,
) -> PipelineParts:
    """The engine, the pipeline and (for `app-vision demo`) the simulated devices, from AppCustom;
    stream cameras take their credentials from `secrets` by SecretName."""
    # Imported here: OpenVINO and the pipeline are heavy, and `config check` never needs them.
    from service.api.action_routes import action_router
    from service.api.clip_routes import clip_router
    from service.api.config_routes import config_router
    from service.api.mode_routes import mode_router
    from service.api.model_routes import model_router
    from service.api.vision_routes import vision_router
    from service.model_runtime import ModelRuntime, ModelRuntimeDeps, restored_models
    from service.pipeline.assembly import Pipeline, PipelineDeps
    from service.simulator import embedded_default
    from service.vision.engine import Engine

    prefix = config.MessageBus.BaseTopicPrefix
    settings, simulator = embedded_default(config.AppCustom.Pipeline, bus, wire, prefix)
    declared, version = config.AppCustom.Models, service_version()
    models = restored_models(declared, Path(settings.StateDir), version)  # packages deployed before
    engine = Engine(models, config.AppCustom.Engine)
    pipeline = Pipeline(
        PipelineDeps(
            settings=settings,
            engine=engine,
            bus=bus,
            commands=build_command_client(config, bus, wire, auth),
            notifications=build_notification_client(config, auth),
            metrics=metrics,
            wire=wire,
            base_topic=prefix,
            state_dir=Path(settings.StateDir),
            secrets=secrets.get if secrets is not None else lambda _name: {},
        )
    )

    def start() -> None:
        pipeline.start()
        if simulator is not None:
            simulator.start()

    def stop() -> None:
        try:
            if simulator is not None:
                simulator.stop()
            pipeline.stop()
        finally:
            engine.close()

    routers = (
        vision_router(pipeline.view),
        clip_router(pipeline.view.alert_clip),
        mode_router(pipeline.view),
        action_router(pipeline.view),
        config_router(pipeline.config),
        model_router(
            ModelRuntime(
                ModelRuntimeDeps(engine, declared, Path(settings.StateDir), version, metrics, pipeline.view)
            )
        ),
    )
    return PipelineParts(ingress=pipeline.ingress, routers=routers, start=start, stop=stop)


class Application:
    """The running service's objects, built in dependency order."""

    def __init__(self, loaded: LoadedConfig[Config], environ: Mapping[str, str]) -> None:
        config = loaded.config
        self.config = config
        mode = loaded.bootstrap.security  # decided from the environment the configuration was loaded in
        # Secure mode first: a bad token file or a sealed store stops the start before anything runs.
        self.secure: SecureParts | None = None
        if mode.secure:
            proxy_auth = PeerSettings(
                "security-proxy-auth", mode.proxy_auth_host, mode.proxy_auth_port, "http",
                config.Service.request_timeout_s,
            )  # fmt: skip
            self.secure = start_secure_mode(mode, proxy_auth)
        try:
            self._build(loaded, environ)
        except BaseException:
            if self.secure is not None:
                self.secure.stop()
            raise

    def _build(self, loaded: LoadedConfig[Config], environ: Mapping[str, str]) -> None:
        config = loaded.config
        self.metrics = Metrics()
        secure = self.secure
        self.insecure_secrets = InsecureSecretStore({} if secure else config.Writable.InsecureSecrets)
        self.secrets: SecretSource = secure.secrets if secure else self.insecure_secrets
        auth = secure.jwt if secure else None
        self.wire = WireFormat.from_environ(environ, config.Service.EnableNameFieldEscape)
        if secure is not None:
            settings = secure_bus_settings(config.MessageBus, secure.secrets)
        else:
            settings = bus_settings(config.MessageBus, self.insecure_secrets)
        self.bus = create_bus(settings, self.wire)
        self.pipeline = build_pipeline(config, self.bus, self.wire, self.metrics, self.secrets, auth)
        self.ingress = self.pipeline.ingress
        self.topics = tuple(config.MessageBus.full_topic(t) for t in config.Trigger.SubscribeTopics)
        self.telemetry = TelemetryPublisher(self.bus, self.metrics, _telemetry_settings(config))
        version = service_version()
        self.writable = LiveWritable(config.Writable, environ, self._apply_writable)
        self.keeper = KeeperRuntime(keeper_settings(loaded, SERVICE_KEY), self.bus, self.writable, auth)
        writer = secure.secrets if secure else self.insecure_secrets
        deps = EdgeXApiDeps(SERVICE_KEY, version, version, self.config_view, writer, self.ingress)
        validator = secure.validator if secure else None
        self.api = create_app(
            deps, self.metrics, config.Service.MaxRequestSize, self.pipeline.routers, validator
        )
        # Non-secure mode: the page and REST behind a login or an API token (secure mode: the JWT).
        self.access: AccessControl | None = None
        if secure is None and config.AppCustom.Access.Enabled:
            self.access = open_access(config.AppCustom.Access, Path(config.AppCustom.Pipeline.StateDir))
            install_access(self.api, self.access, self.metrics)

    def start(self) -> None:
        self.bus.connect()
        self.pipeline.start()
        self.bus.subscribe(self.topics, self.ingress.on_envelope, self.ingress.on_error)
        log.info("subscribed to %s on the %s bus", ", ".join(self.topics), self.config.MessageBus.Type)
        self.telemetry.start()
        self.keeper.start()

    def stop(self) -> None:
        """Reverse order; each step runs even if an earlier one failed."""
        steps: tuple[tuple[str, Callable[[], None]], ...] = (
            ("core-keeper", self.keeper.stop),
            ("telemetry", lambda: self.telemetry.stop()),  # a Writable change may have replaced it
            ("unsubscribe", lambda: self.bus.unsubscribe(self.topics)),
            ("pipeline", self.pipeline.stop),
            ("bus", self.bus.close),
            ("secret store", self.secure.stop if self.secure else lambda: None),
            ("access control", self.access.close if self.access else lambda: None),
        )
        for name, step in steps:
            try:
                step()
            except Exception:  # shutdown edge: report and keep stopping the rest
                log.exception("stopping %s failed", name)

    def config_view(self) -> dict[str, object]:
        """GET /api/v3/config: the configuration with Writable as last applied, secrets redacted."""
        return redact(self.config.model_dump(by_alias=True, mode="json"))

    def _apply_writable(self, old: WritableSection, new: WritableSection) -> None:
        """A Writable change from core-keeper, applied without a restart; each change logged at INFO."""
        self.config = self.config.model_copy(update={"Writable": new})
        if new.LogLevel != old.LogLevel:
            was_on = log.isEnabledFor(logging.INFO)
            log.info("Writable.LogLevel changed: %s -> %s", old.LogLevel, new.LogLevel)
            apply_log_level(new.LogLevel)
            if not was_on:
                log.info("Writable.LogLevel changed: %s -> %s", old.LogLevel, new.LogLevel)
        if new.Telemetry != old.Telemetry:
            self.telemetry.stop()
            self.telemetry = TelemetryPublisher(self.bus, self.metrics, _telemetry_settings(self.config))
            self.telemetry.start()
            log.info("Writable.Telemetry changed: %s", new.Telemetry.model_dump(mode="json"))
        if new.InsecureSecrets != old.InsecureSecrets and self.secure is not None:
            log.info("Writable.InsecureSecrets changed: ignored in secure mode (the secret store holds them)")
        elif new.InsecureSecrets != old.InsecureSecrets:
            for name, secret in new.InsecureSecrets.items():
                self.insecure_secrets.store(secret.SecretName or name, secret.SecretData)
            log.info("Writable.InsecureSecrets changed: secrets updated (the bus keeps its connection)")


def _telemetry_settings(config: Config) -> TelemetrySettings:
    section = config.Writable.Telemetry
    return TelemetrySettings(
        interval_s=parse_duration_s(section.Interval),
        names=tuple(name for name, enabled in section.Metrics.items() if enabled),
        tags=dict(section.Tags),
        topic_prefix=config.MessageBus.full_topic(f"telemetry/{SERVICE_KEY}"),
        service_key=SERVICE_KEY,
    )


def run(loaded: LoadedConfig[Config], environ: Mapping[str, str]) -> int:
    """Start everything, serve REST until SIGTERM/SIGINT, stop; the exit code (0 = clean stop)."""
    apply_log_level(loaded.config.Writable.LogLevel)
    stop_requested = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s received: stopping", signal.Signals(signum).name)
        stop_requested.set()

    # Our handlers cover start-up; uvicorn replaces them while serving and restores them after.
    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    app = Application(loaded, environ)
    service = loaded.config.Service
    server = build_server(app.api, service.bind_host, service.Port)
    warn_if_exposed(service.bind_host, protected=app.access is not None or app.secure is not None)
    exit_code = 0
    try:
        app.start()
        if not stop_requested.is_set():
            asyncio.run(_serve(server, service.StartupMsg, stop_requested, app.keeper.register))
    except SystemExit:  # uvicorn exits this way when it cannot bind its port
        log.error("REST server could not start on %s:%d", service.bind_host, service.Port)
        exit_code = 1
    finally:
        app.stop()
        log.info("%s stopped", SERVICE_KEY)
    return exit_code


async def _serve(
    server: uvicorn.Server,
    startup_msg: str,
    stop_requested: threading.Event,
    on_started: Callable[[], object] = lambda: None,
) -> None:
    """Serve until uvicorn exits (it handles SIGTERM/SIGINT while serving); log StartupMsg once listening."""
    task = asyncio.create_task(server.serve())
    while not server.started and not task.done():
        await asyncio.sleep(0.02)
    if stop_requested.is_set():  # a signal that came before uvicorn took over the handlers
        server.should_exit = True
    if server.started:
        log.info("%s (REST on %s:%d)", startup_msg, server.config.host, server.config.port)
        await asyncio.to_thread(on_started)  # registry: keeper health-checks the ping route at once
    await task
