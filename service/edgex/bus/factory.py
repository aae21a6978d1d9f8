"""create_bus: the one place that maps `MessageBus.Type` to a bus implementation."""

from __future__ import annotations

from collections.abc import Callable

from service.edgex.bus.base import MessageBus
from service.edgex.bus.errors import UnsupportedBusType
from service.edgex.bus.memory import MemoryBus
from service.edgex.bus.mqtt import MqttBus
from service.edgex.bus.nats import NatsBus
from service.edgex.bus.redis import RedisBus
from service.edgex.bus.settings import BusSettings
from service.edgex.wire_format import WireFormat

__all__ = ["BUS_TYPES", "BusSettings", "create_bus"]


def _memory(_settings: BusSettings, wire: WireFormat) -> MessageBus:
    return MemoryBus(wire)


BUS_TYPES: dict[str, Callable[[BusSettings, WireFormat], MessageBus]] = {
    "memory": _memory,
    "mqtt": MqttBus,
    "redis": RedisBus,
    "nats-core": NatsBus,
}


def create_bus(settings: BusSettings, wire: WireFormat) -> MessageBus:
    """A new, not yet connected bus; UnsupportedBusType names the valid types."""
    build = BUS_TYPES.get(settings.type.lower())
    if build is None:
        raise UnsupportedBusType("MessageBus.Type", settings.type, tuple(BUS_TYPES))
    return build(settings, wire)
