"""Fixtures of the bus tier: a fresh real broker per test (each kind), stopped by PID afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bus.transport import BROKERS, KINDS, Transport


@pytest.fixture(params=KINDS)
def transport(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Transport]:
    broker = BROKERS[request.param](tmp_path)
    broker.start()
    setup = Transport(request.param, broker)
    try:
        yield setup
    finally:
        for plain in setup.plains:
            try:
                plain.close()
            except Exception:  # a plain client of a killed broker may fail to say goodbye
                pass
        broker.stop()
