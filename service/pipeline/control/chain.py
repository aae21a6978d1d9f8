"""A chain of control stages run in order on one context, with the one error handler they share.

The chain is the control thread's edge: a stage that raises is logged once with its name, the
item and its correlation id, counted as invalid_messages_total{reason="processing"}, and the
rest of that item's chain is skipped; the next item runs as usual.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from service.metrics import Metrics
from service.pipeline.control.context import ControlContext

LOG = logging.getLogger(__name__)


class Stage(Protocol):
    """One step: reads and extends the context."""

    @property
    def name(self) -> str: ...

    def __call__(self, ctx: ControlContext) -> None: ...


class Chain:
    """Stages in order; run() reports whether every one succeeded."""

    def __init__(self, stages: Sequence[Stage], metrics: Metrics) -> None:
        self.stages = tuple(stages)
        self._failed = metrics.invalid_messages_total.labels("processing")

    def run(self, ctx: ControlContext) -> bool:
        for stage in self.stages:
            try:
                stage(ctx)
            except Exception:  # the control thread's edge: one bad item must not stop alerting
                LOG.exception(
                    "control stage %s failed on %s (correlation %s)",
                    stage.name,
                    ctx.what,
                    ctx.correlation_id or "-",
                )
                self._failed.inc()
                return False
        return True
