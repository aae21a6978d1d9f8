"""EdgeX's standard configuration sections (Writable, Service, MessageBus, Trigger, Clients, Registry).

Field names are EdgeX's PascalCase keys; defaults follow EdgeX 4 common configuration
(core-common-config-bootstrapper) and the app-service template, with app-vision's port and client id.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, WithJsonSchema, field_serializer, field_validator

from service.config.duration import GoDuration, parse_duration_s
from service.strict import StrictModel

LogLevelName = Literal["TRACE", "DEBUG", "INFO", "WARN", "ERROR"]
_TRUE_FALSE = {"true", "false"}


def _none_to_empty(value: object) -> object:
    """YAML `Key:` with only comments below it is null; EdgeX treats it as an empty map."""
    return {} if value is None else value


class InsecureSecret(StrictModel):
    """One secret of Writable.InsecureSecrets (used when EDGEX_SECURITY_SECRET_STORE=false)."""

    SecretName: str = Field(default="", description="Name the service asks for (e.g. 'mqtt-bus').")
    SecretData: dict[str, str] = Field(default_factory=dict, description="Key/value pairs of the secret.")

    _empty_data = field_validator("SecretData", mode="before")(_none_to_empty)


class TelemetrySection(StrictModel):
    """Metrics published on <BaseTopicPrefix>/telemetry/app-vision/<name>."""

    Interval: GoDuration = Field(default="30s", description="Publish period; '0s' disables publishing.")
    Metrics: dict[str, bool] = Field(
        default_factory=dict, description="Metric name -> published? (see service.metrics TELEMETRY_NAMES)."
    )
    Tags: dict[str, str] = Field(default_factory=dict, description="Tags added to every published metric.")

    _empty_maps = field_validator("Metrics", "Tags", mode="before")(_none_to_empty)


class WritableSection(StrictModel):
    """Settings EdgeX may change at run time (here: read at start)."""

    LogLevel: LogLevelName = Field(default="INFO", description="TRACE|DEBUG|INFO|WARN|ERROR.")
    InsecureSecrets: dict[str, InsecureSecret] = Field(
        default_factory=dict, description="Secrets in insecure mode, keyed by an arbitrary name."
    )
    Telemetry: TelemetrySection = Field(default_factory=TelemetrySection, description="Metrics publishing.")

    _empty_secrets = field_validator("InsecureSecrets", mode="before")(_none_to_empty)

    @field_validator("LogLevel", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


class ServiceSection(StrictModel):
    """The REST server and general service behaviour."""

    Host: str = Field(default="localhost", description="Host name other services use to reach this one.")
    Port: int = Field(default=59760, ge=1, le=65535, description="REST port.")
    ServerBindAddr: str = Field(default="", description="Address to bind; empty means Host.")
    StartupMsg: str = Field(
        default="app-vision: EdgeX vision application service started", description="Logged once serving."
    )
    RequestTimeout: GoDuration = Field(
        default="5s", description="Timeout of outgoing requests (REST and bus)."
    )
    MaxRequestSize: int = Field(
        default=0, ge=0, description="Largest accepted REST body in KB; 0 = unlimited."
    )
    EnableNameFieldEscape: bool = Field(default=False, description="URL-escape names in published topics.")
    HealthCheckInterval: GoDuration = Field(default="10s", description="Registry health-check period.")

    @property
    def bind_host(self) -> str:
        """Address the REST server binds to (EdgeX: ServerBindAddr, else Host)."""
        return self.ServerBindAddr or self.Host

    @property
    def request_timeout_s(self) -> float:
        return parse_duration_s(self.RequestTimeout)


class BusOptional(StrictModel):
    """MessageBus.Optional: strings, as in EdgeX's map[string]string."""

    ClientId: str = Field(default="app-vision", description="MQTT client id; must be unique on the broker.")
    Qos: str = Field(default="0", description="MQTT QoS for every publish and subscribe: '0', '1' or '2'.")
    KeepAlive: str = Field(default="10", description="MQTT keep-alive in seconds (>= 2).")
    Retained: str = Field(default="false", description="MQTT retain flag on publishes.")
    AutoReconnect: str = Field(
        default="true", description="Reconnect (and re-subscribe) after a lost connection."
    )
    ConnectTimeout: str = Field(default="5", description="Connect timeout in seconds.")
    SkipCertVerify: str = Field(default="false", description="Skip TLS certificate verification.")
    Format: str = Field(default="nats", description="NATS message format: 'nats' (headers) or 'json'.")
    CertFile: str = Field(default="", description="Client certificate file (AuthMode clientcert).")
    KeyFile: str = Field(default="", description="Client key file (AuthMode clientcert).")
    CaFile: str = Field(default="", description="CA certificate file for TLS.")

    @field_validator("*", mode="before")
    @classmethod
    def _stringify(cls, value: object) -> object:
        """YAML may give 0 or false unquoted; EdgeX's string map holds their text."""
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value) if isinstance(value, int | float) else value

    @field_validator("Qos")
    @classmethod
    def _qos(cls, value: str) -> str:
        if value not in {"0", "1", "2"}:
            raise ValueError("must be '0', '1' or '2'")
        return value

    @field_validator("KeepAlive", "ConnectTimeout")
    @classmethod
    def _seconds(cls, value: str) -> str:
        if not value.isdigit() or int(value) < 1:
            raise ValueError("must be a whole number of seconds >= 1")
        return value

    @field_validator("Retained", "AutoReconnect", "SkipCertVerify")
    @classmethod
    def _bool(cls, value: str) -> str:
        if value.lower() not in _TRUE_FALSE:
            raise ValueError("must be 'true' or 'false'")
        return value.lower()

    @field_validator("Format")
    @classmethod
    def _format(cls, value: str) -> str:
        if value not in {"nats", "json"}:
            raise ValueError("must be 'nats' or 'json'")
        return value


class MessageBusSection(StrictModel):
    """The EdgeX message bus connection."""

    Type: Literal["mqtt", "redis", "nats-core", "memory"] = Field(
        default="mqtt", description="Bus implementation."
    )
    Protocol: str = Field(
        default="mqtt", description="mqtt|tcp|ssl|tls (mqtt), redis, nats; ignored by memory."
    )
    Host: str = Field(default="localhost", description="Broker host.")
    Port: int = Field(default=1883, ge=1, le=65535, description="Broker port.")
    AuthMode: Literal["none", "usernamepassword", "clientcert", "cacert"] = Field(
        default="none", description="How to authenticate to the broker (cacert: TLS with a CA only)."
    )
    SecretName: str = Field(
        default="mqtt-bus", description="Secret holding username/password or certificates."
    )
    BaseTopicPrefix: str = Field(default="edgex", description="Prepended to every topic.")
    Optional: BusOptional = Field(default_factory=BusOptional, description="Implementation options.")

    def full_topic(self, topic: str) -> str:
        """`<BaseTopicPrefix>/<topic>` as the app SDK builds subscribe and publish topics."""
        prefix = self.BaseTopicPrefix.strip("/")
        return f"{prefix}/{topic.lstrip('/')}" if prefix else topic


# What the files hold (EdgeX's one comma-separated string) and what is also accepted (a list).
_TOPICS_SCHEMA: dict[str, Any] = {
    "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]
}


class TriggerSection(StrictModel):
    """What the service subscribes to and where the pipeline output goes."""

    SubscribeTopics: Annotated[list[str], WithJsonSchema(_TOPICS_SCHEMA)] = Field(
        default_factory=lambda: ["events/#"], description="Topics under BaseTopicPrefix (comma list)."
    )
    PublishTopic: str = Field(default="", description="Topic under BaseTopicPrefix for pipeline output.")

    @field_validator("SubscribeTopics", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        """EdgeX writes SubscribeTopics as one comma-separated string."""
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_serializer("SubscribeTopics")
    def _joined(self, topics: list[str]) -> str:
        """Shown (GET /api/v3/config, core-keeper) as the SDK's one comma-separated string."""
        return ",".join(topics)

    @field_validator("SubscribeTopics")
    @classmethod
    def _not_empty(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("at least one topic is required")
        return value


class ClientInfo(StrictModel):
    """How to reach one EdgeX service."""

    Protocol: Literal["http", "https"] = Field(default="http", description="REST scheme.")
    Host: str = Field(default="localhost", description="Service host.")
    Port: int = Field(ge=1, le=65535, description="Service REST port.")
    UseMessageBus: bool = Field(default=False, description="Talk over the message bus instead of REST.")

    @property
    def base_url(self) -> str:
        return f"{self.Protocol}://{self.Host}:{self.Port}"


class ClientsSection(StrictModel):
    """The EdgeX services app-vision talks to (keys as in EdgeX: 'core-command', ...)."""

    core_command: ClientInfo = Field(
        default_factory=lambda: ClientInfo(Port=59882, UseMessageBus=True), alias="core-command"
    )
    core_metadata: ClientInfo = Field(default_factory=lambda: ClientInfo(Port=59881), alias="core-metadata")
    core_data: ClientInfo = Field(default_factory=lambda: ClientInfo(Port=59880), alias="core-data")
    support_notifications: ClientInfo = Field(
        default_factory=lambda: ClientInfo(Port=59860), alias="support-notifications"
    )


class RegistrySection(StrictModel):
    """Where the registry (core-keeper in EdgeX 4) runs; used with -r/--registry."""

    Host: str = Field(default="localhost", description="Registry host.")
    Port: int = Field(default=59890, ge=1, le=65535, description="Registry port.")
    Type: Literal["keeper", "consul"] = Field(
        default="keeper", description="keeper (EdgeX 4) or consul (EdgeX 3)."
    )
