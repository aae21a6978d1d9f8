"""EdgeX message-bus clients (memory, mqtt, redis, nats-core) behind one MessageBus protocol."""

from service.edgex.bus.base import EnvelopeHandler, ErrorHandler, MessageBus
from service.edgex.bus.errors import BusError, BusUnavailable, RequestTimeout, UnsupportedBusType
from service.edgex.bus.factory import BUS_TYPES, create_bus
from service.edgex.bus.memory import MemoryBus
from service.edgex.bus.settings import BusSettings

__all__ = [
    "BUS_TYPES",
    "BusError",
    "BusSettings",
    "BusUnavailable",
    "EnvelopeHandler",
    "ErrorHandler",
    "MemoryBus",
    "MessageBus",
    "RequestTimeout",
    "UnsupportedBusType",
    "create_bus",
]
