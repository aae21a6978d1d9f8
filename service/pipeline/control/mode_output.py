"""Mode switches out: an `app-vision-mode` event through the outbox and the mode_active gauge.

Runs on the control thread's tick: the switches the ModeKeeper recorded since the last tick (REST,
schedule, sensor, the first start) are planned as outbox rows of kind "mode", one per switch.
"""

from __future__ import annotations

from collections.abc import Callable

from service.metrics import Metrics
from service.pipeline.actions.outbox import Outbox
from service.pipeline.actions.payloads import ModePayload, write_payload
from service.pipeline.actions.plan import KIND_MODE
from service.pipeline.rules.modes import ModeKeeper


class ModeOutput:
    """Publishes the keeper's switches and keeps the gauge (control thread)."""

    def __init__(
        self, keeper: ModeKeeper, outbox: Outbox, metrics: Metrics, on_enqueued: Callable[[str], None]
    ) -> None:
        self._keeper = keeper
        self._outbox = outbox
        self._gauge = metrics.mode_active
        self._on_enqueued = on_enqueued

    def tick(self) -> None:
        """Plan an event for each switch since the last tick."""
        changes = self._keeper.take_changes()
        if not changes:
            return
        for state in changes:
            origin = round(state.since_s * 1e9)
            payload = ModePayload(
                mode=state.mode, previous=state.previous, source=state.source, origin=origin
            )
            if self._outbox.enqueue(f"mode/{origin}/{state.mode}", KIND_MODE, "", write_payload(payload)):
                self._on_enqueued(KIND_MODE)
        current = self._keeper.current().mode
        for mode in self._keeper.modes:
            self._gauge.labels(mode).set(1 if mode == current else 0)
