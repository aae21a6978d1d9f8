"""Fixtures shared by the unit tier."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from service.edgex.bus import MemoryBus
from service.edgex.wire_format import WireFormat


@pytest.fixture
def bus() -> Iterator[MemoryBus]:
    """The in-process bus, connected."""
    memory = MemoryBus(WireFormat())
    memory.connect()
    yield memory
    memory.close()
