"""One broker kind under test: a real broker, plain clients for it, and our bus configured for it."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from service.edgex.bus import BusSettings, MessageBus, create_bus
from service.edgex.envelope import EnvelopeForm
from service.edgex.wire_format import WireFormat
from tests.bus.brokers import Broker, mosquitto, nats_server, redis_server
from tests.bus.busprobe import wait_until
from tests.bus.plain_clients import PlainClient, PlainMqtt, PlainNats, PlainRedis

KINDS = ("mqtt", "redis", "nats", "nats-json")
BROKERS: dict[str, Callable[[Path], Broker]] = {
    "mqtt": mosquitto,
    "redis": redis_server,
    "nats": nats_server,
    "nats-json": nats_server,
}
_BUS_TYPES = {"mqtt": "mqtt", "redis": "redis", "nats": "nats-core", "nats-json": "nats-core"}


@dataclass
class Transport:
    """One broker kind under test: the broker, plain-client factory and our bus settings."""

    kind: str
    broker: Broker
    plains: list[PlainClient] = field(default_factory=list)

    @property
    def nats_headers(self) -> bool:
        return self.kind == "nats"

    def settings(self) -> BusSettings:
        return BusSettings(
            type=_BUS_TYPES[self.kind],
            host="127.0.0.1",
            port=self.broker.port,
            client_id=f"app-vision-test-{uuid.uuid4().hex[:8]}",
            nats_format="json" if self.kind == "nats-json" else "nats",
            connect_timeout_s=2.0,
            reconnect_min_s=0.2,
            reconnect_max_s=1.0,
        )

    def plain(self) -> PlainClient:
        """A new plain client connected to the broker (closed by the fixture)."""
        port = self.broker.port
        client: PlainClient
        if self.kind == "mqtt":
            client = PlainMqtt(port)
        elif self.kind == "redis":
            client = PlainRedis(port)
        else:
            client = PlainNats(port, headers_format=self.nats_headers)
        self.plains.append(client)
        return client

    @contextmanager
    def bus(self, form: EnvelopeForm = EnvelopeForm.NESTED_JSON) -> Iterator[MessageBus]:
        """Our bus, connected."""
        bus = create_bus(self.settings(), WireFormat(form=form))
        bus.connect()
        try:
            wait_until(lambda: bus.connected)
            yield bus
        finally:
            bus.close()
