"""create_bus: MessageBus.Type -> implementation, and BusSettings TLS handling."""

from __future__ import annotations

import ssl

import pytest

from service.edgex.bus import BUS_TYPES, BusSettings, MemoryBus, UnsupportedBusType, create_bus
from service.edgex.bus.mqtt import MqttBus
from service.edgex.bus.nats import NatsBus
from service.edgex.bus.redis import RedisBus
from service.edgex.bus.settings import tls_context
from service.edgex.wire_format import WireFormat


@pytest.mark.parametrize(
    ("bus_type", "cls"),
    [
        ("memory", MemoryBus),
        ("mqtt", MqttBus),
        ("MQTT", MqttBus),
        ("redis", RedisBus),
        ("nats-core", NatsBus),
    ],
)
def test_create_bus_picks_the_implementation(bus_type: str, cls: type) -> None:
    bus = create_bus(BusSettings(type=bus_type), WireFormat())
    try:
        assert isinstance(bus, cls)
        assert not bus.connected
    finally:
        bus.close()


@pytest.mark.parametrize("bus_type", ["nats-jetstream", "zero", ""])
def test_unknown_type_lists_the_valid_ones(bus_type: str) -> None:
    with pytest.raises(UnsupportedBusType) as info:
        create_bus(BusSettings(type=bus_type), WireFormat())
    assert info.value.valid == tuple(BUS_TYPES)
    assert "mqtt" in str(info.value)


def test_tls_context_only_for_tls_protocols() -> None:
    assert tls_context(BusSettings(protocol="tcp")) is None
    strict = tls_context(BusSettings(protocol="ssl"))
    assert strict is not None and strict.verify_mode == ssl.CERT_REQUIRED and strict.check_hostname
    lax = tls_context(BusSettings(protocol="tls", skip_cert_verify=True))
    assert lax is not None and lax.verify_mode == ssl.CERT_NONE and not lax.check_hostname
