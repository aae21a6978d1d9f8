"""Publishes enabled metrics as EdgeX Metric DTOs every Writable.Telemetry.Interval.

Topic `<BaseTopicPrefix>/telemetry/<service key>/<name>` and DTO
`{apiVersion, name, fields:[{name,value}], tags:[{name,value}], timestamp (ns)}` as go-mod-bootstrap's
metrics reporter writes them; a `service` tag is always added.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from service.edgex.bus.base import MessageBus
from service.edgex.envelope import MessageEnvelope
from service.edgex.errors import BusError
from service.edgex.event_types import API_VERSION, JsonValue
from service.metrics import Metrics

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TelemetrySettings:
    """What to publish, how often and where (built by app.py from Writable.Telemetry)."""

    interval_s: float
    names: tuple[str, ...]
    tags: Mapping[str, str]
    topic_prefix: str  # e.g. "edgex/telemetry/app-vision"
    service_key: str


def metric_dto(
    metrics: Metrics, name: str, tags: Mapping[str, str], timestamp_ns: int
) -> dict[str, JsonValue]:
    """The EdgeX Metric DTO of one telemetry name."""
    sample = metrics.sample(name)
    fields: list[JsonValue] = [{"name": field, "value": value} for field, value in sample.fields]
    tag_list: list[JsonValue] = [{"name": key, "value": value} for key, value in sorted(tags.items())]
    return {
        "apiVersion": API_VERSION,
        "name": name,
        "fields": fields,
        "tags": tag_list,
        "timestamp": timestamp_ns,
    }


class TelemetryPublisher:
    """A daemon thread publishing every `interval_s`; nothing runs when no metric is enabled."""

    def __init__(self, bus: MessageBus, metrics: Metrics, settings: TelemetrySettings) -> None:
        unknown = [name for name in settings.names if name not in metrics.telemetry]
        if unknown:
            log.warning(
                "Writable.Telemetry.Metrics: app-vision has no metric %s (known: %s)",
                ", ".join(unknown),
                ", ".join(metrics.telemetry),
            )
        self._names = tuple(name for name in settings.names if name in metrics.telemetry)
        self._bus = bus
        self._metrics = metrics
        self._settings = settings
        self._tags = {**settings.tags, "service": settings.service_key}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def active(self) -> bool:
        return bool(self._names) and self._settings.interval_s > 0

    def start(self) -> None:
        if not self.active:
            return
        self._thread = threading.Thread(target=self._run, name="telemetry", daemon=True)
        self._thread.start()
        log.info("telemetry: publishing %s every %.0f s", ", ".join(self._names), self._settings.interval_s)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def publish_once(self) -> int:
        """Publish every enabled metric now; returns how many went out (bus down: skipped)."""
        sent = 0
        timestamp_ns = time.time_ns()
        for name in self._names:
            dto = metric_dto(self._metrics, name, self._tags, timestamp_ns)
            envelope = MessageEnvelope(correlation_id=str(uuid.uuid4()), payload=dto)
            try:
                self._bus.publish(f"{self._settings.topic_prefix}/{name}", envelope)
            except BusError as exc:
                log.debug("telemetry: %s not published: %s", name, exc)
                continue
            sent += 1
        return sent

    def _run(self) -> None:
        while not self._stop.wait(self._settings.interval_s):
            self.publish_once()
