"""Metrics: one prometheus CollectorRegistry holding every named metric of app-vision.

Served as Prometheus text at GET /metrics and, when Writable.Telemetry enables them, published as
EdgeX Metric DTOs on <BaseTopicPrefix>/telemetry/app-vision/<TelemetryName> (service.telemetry).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.registry import Collector

PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_STAGE_BUCKETS_S = (0.0005, 0.001, 0.0025, *_LATENCY_BUCKETS_S)
M = TypeVar("M", bound=MetricWrapperBase)


@dataclass(frozen=True, slots=True)
class MetricSample:
    """One metric reduced over its labels, in EdgeX Metric field names and value types: counts and
    gauge values are integers (int64 in go-mod-bootstrap's reporter), a histogram's mean a float."""

    name: str
    fields: tuple[tuple[str, int | float], ...]


STREAM_STATES = ("connecting", "online", "stalled", "offline")


@dataclass(frozen=True, slots=True)
class StreamCounts:
    """One stream camera's health as the metrics show it (cumulative counts since start)."""

    camera: str
    state: str  # one of STREAM_STATES
    packets_in: int
    frames_decoded: int
    frames_handed_on: int
    reconnects: int
    errors: int
    decode_cpu_s: float


class _StreamCollector(Collector):
    """Stream health read at scrape time from the readers' own counters (no per-frame metric calls)."""

    def __init__(self, source: Callable[[], Iterable[StreamCounts]]) -> None:
        self._source = source

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        streams = list(self._source())
        state = GaugeMetricFamily(
            "camera_stream_state", "1 for the stream's current state", labels=["camera", "state"]
        )
        counters = {
            "packets_in": CounterMetricFamily(
                "camera_stream_packets", "Video packets received", labels=["camera"]
            ),
            "frames_decoded": CounterMetricFamily(
                "camera_stream_frames_decoded", "Frames decoded", labels=["camera"]
            ),
            "frames_handed_on": CounterMetricFamily(
                "camera_stream_frames_handed_on",
                "Frames handed on for analysis (DetectFps)",
                labels=["camera"],
            ),
            "reconnects": CounterMetricFamily(
                "camera_stream_reconnects", "Reconnect attempts", labels=["camera"]
            ),
            "errors": CounterMetricFamily(
                "camera_stream_errors", "Open, read and decode errors", labels=["camera"]
            ),
            "decode_cpu_s": CounterMetricFamily(
                "camera_stream_decode_cpu_seconds", "Reader CPU decoding and converting", labels=["camera"]
            ),
        }
        for stream in streams:
            for name in STREAM_STATES:
                state.add_metric([stream.camera, name], 1.0 if stream.state == name else 0.0)
            for field, family in counters.items():
                family.add_metric([stream.camera], float(getattr(stream, field)))
        yield state
        yield from counters.values()


class Children(Generic[M]):
    """A labelled metric's children, each looked up with `.labels()` once (per-frame code).

    `.labels()` validates the values and takes the metric's lock on every call; a hit here is one
    dict lookup. The cache holds as many children as the metric itself already keeps."""

    __slots__ = ("_children", "_metric")

    def __init__(self, metric: M) -> None:
        self._metric = metric
        self._children: dict[tuple[str, ...], M] = {}

    def __call__(self, *labels: str) -> M:
        child = self._children.get(labels)
        if child is None:  # two threads may both miss: labels() returns the same child to both
            child = self._children[labels] = self._metric.labels(*labels)
        return child


class Metrics:
    """The registry and the metric objects (label names in the comments)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.messages_received_total = Counter(
            "messages_received_total", "Bus messages received", ["topic_kind"], registry=r
        )
        self.invalid_messages_total = Counter(
            "invalid_messages_total", "Bus messages dropped as undecodable", ["reason"], registry=r
        )
        self.frames_received_total = Counter("frames_received_total", "Camera frames", ["camera"], registry=r)
        self.frames_dropped_total = Counter(
            "frames_dropped_total", "Frames not analysed", ["camera", "reason"], registry=r
        )
        self.frame_to_result_seconds = Histogram(
            "frame_to_result_seconds",
            "Event origin to result",
            ["camera"],
            buckets=_LATENCY_BUCKETS_S,
            registry=r,
        )
        self.frame_stage_seconds = Histogram(
            "frame_stage_seconds",
            "Where frame-to-result time goes: transport, queued, decode, inference, rules",
            ["camera", "stage"],
            buckets=_STAGE_BUCKETS_S,
            registry=r,
        )
        self.inference_seconds = Histogram(
            "inference_seconds", "Model inference time", ["model"], buckets=_LATENCY_BUCKETS_S, registry=r
        )
        self.queue_depth = Gauge("queue_depth", "Frames waiting per camera", ["camera"], registry=r)
        self.outbox_size = Gauge("outbox_size", "Outbox actions by state", ["state"], registry=r)
        self.decode_errors_total = Counter("decode_errors_total", "Decode failures", ["kind"], registry=r)
        self.alerts_total = Counter("alerts_total", "Alert transitions", ["rule", "state"], registry=r)
        self.actions_total = Counter("actions_total", "Actions executed", ["kind", "outcome"], registry=r)
        self.rest_errors_total = Counter(
            "rest_errors_total", "REST responses with status >= 400", ["route"], registry=r
        )
        self.zone_occupancy = Gauge(
            "zone_occupancy", "Tracked objects in a zone now", ["camera", "zone"], registry=r
        )
        self.line_crossings_total = Counter(
            "line_crossings_total", "Line crossings", ["camera", "line", "direction"], registry=r
        )
        self.mode_active = Gauge(
            "mode_active", "1 for the mode in force, 0 for the others", ["mode"], registry=r
        )
        self.zone_entries_total = Counter(
            "zone_entries_total", "Zone entries", ["camera", "zone"], registry=r
        )
        self.clips_total = Counter("clips_total", "Alert clips by outcome", ["outcome"], registry=r)
        self.access_refused_total = Counter(
            "access_refused_total", "Requests and logins refused by access control", ["reason"], registry=r
        )
        self.model_deploys_total = Counter(
            "model_deploys_total", "Model deploys and rollbacks by outcome", ["kind", "outcome"], registry=r
        )
        self._streams_watched = False
        self._stream_source: Callable[[], Iterable[StreamCounts]] = tuple
        self.telemetry: dict[str, MetricWrapperBase] = {
            "MessagesReceived": self.messages_received_total,
            "InvalidMessagesReceived": self.invalid_messages_total,
            "FramesReceived": self.frames_received_total,
            "FramesDropped": self.frames_dropped_total,
            "FrameToResultSeconds": self.frame_to_result_seconds,
            "InferenceSeconds": self.inference_seconds,
            "QueueDepth": self.queue_depth,
            "OutboxSize": self.outbox_size,
            "DecodeErrors": self.decode_errors_total,
            "Alerts": self.alerts_total,
            "Actions": self.actions_total,
            "RestErrors": self.rest_errors_total,
        }
        """EdgeX telemetry name (Writable.Telemetry.Metrics key) -> metric."""

    def watch_streams(self, source: Callable[[], Iterable[StreamCounts]]) -> None:
        """Export the stream cameras' health, read from `source` at each scrape (a later call
        replaces the source: a pipeline built again on the same metrics)."""
        self._stream_source = source
        if not self._streams_watched:
            self._streams_watched = True
            self.registry.register(_StreamCollector(lambda: self._stream_source()))

    def prometheus_text(self) -> bytes:
        """The registry in Prometheus text exposition format."""
        return generate_latest(self.registry)

    def sample(self, telemetry_name: str) -> MetricSample:
        """The named metric summed over all its labels; KeyError for an unknown name."""
        metric = self.telemetry[telemetry_name]
        totals: dict[str, float] = {}
        base = ""
        for family in metric.collect():
            base = family.name
            for sample in family.samples:
                totals[sample.name] = totals.get(sample.name, 0.0) + sample.value
        if isinstance(metric, Histogram):
            count = totals.get(f"{base}_count", 0.0)
            total = totals.get(f"{base}_sum", 0.0)
            mean = total / count if count else 0.0
            return MetricSample(telemetry_name, (("histogram-count", round(count)), ("histogram-mean", mean)))
        if isinstance(metric, Gauge):
            value = totals.get(base, 0.0)
            if value.is_integer():
                return MetricSample(telemetry_name, (("gauge-value", round(value)),))
            return MetricSample(telemetry_name, (("gaugeFloat64-value", value),))
        return MetricSample(telemetry_name, (("counter-count", round(totals.get(f"{base}_total", 0.0))),))

    def snapshot(self) -> dict[str, int | float]:
        """Telemetry name -> its first field (counter total, gauge sum, histogram count)."""
        return {name: self.sample(name).fields[0][1] for name in self.telemetry}
