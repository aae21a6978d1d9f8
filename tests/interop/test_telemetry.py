"""app-vision telemetry -> EdgeX: the Metric DTOs decode into go-mod-core-contracts' dtos.Metric.

The Go consumer subscribes `edgex/telemetry/#`, decodes with types.GetMsgPayload[dtos.Metric],
validates with EdgeX's validator (common.Validate) and renders the DTO's ToLineProtocol, as the
metrics pipelines of app-service-configurable consume go-mod-bootstrap's reports.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from service.edgex.envelope import EnvelopeForm
from service.metrics import Metrics
from service.telemetry import TelemetryPublisher, TelemetrySettings
from tests.interop.conftest import BusFactory
from tests.interop.peer import Json, Peer, PeerProcess

pytestmark = pytest.mark.interop

NAMES = ("FramesReceived", "FrameToResultSeconds", "QueueDepth")


@pytest.fixture
def consumer(peer: Peer, request: pytest.FixtureRequest) -> Iterator[PeerProcess]:
    form: EnvelopeForm = request.param
    yield peer.start(
        "consume-events", ["-kind", "metric", "-count", str(len(NAMES)), "-timeout", "15s"], form
    )


def _publish(app_bus: BusFactory, form: EnvelopeForm, metrics: Metrics) -> None:
    settings = TelemetrySettings(
        interval_s=30.0,
        names=NAMES,
        tags={"gateway": "gw-1"},
        topic_prefix="edgex/telemetry/app-vision",
        service_key="app-vision",
    )
    assert TelemetryPublisher(app_bus(form), metrics, settings).publish_once() == len(NAMES)


def _by_name(consumer: PeerProcess) -> dict[str, Json]:
    verdicts = [consumer.next() for _ in NAMES]
    return {v["metric"]["name"]: v for v in verdicts if "metric" in v} | {
        f"undecoded-{i}": v for i, v in enumerate(verdicts) if "metric" not in v
    }


@pytest.mark.parametrize("consumer", list(EnvelopeForm), indirect=True, ids=lambda f: f.value)
def test_metrics_decode_and_validate_as_edgex_metric(
    consumer: PeerProcess, app_bus: BusFactory, request: pytest.FixtureRequest
) -> None:
    form: EnvelopeForm = request.node.callspec.params["consumer"]
    metrics = Metrics()
    metrics.frames_received_total.labels(camera="Camera-1").inc(7)
    metrics.frame_to_result_seconds.labels(camera="Camera-1").observe(0.25)
    metrics.queue_depth.labels(camera="Camera-1").set(2)
    _publish(app_bus, form, metrics)
    verdicts = _by_name(consumer)
    assert sorted(verdicts) == sorted(NAMES)
    for name, verdict in verdicts.items():
        assert verdict["ok"] is True, verdict
        assert verdict["topic"] == f"edgex/telemetry/app-vision/{name}"
        metric = verdict["metric"]
        assert metric["apiVersion"] == "v3"
        assert {t["name"]: t["value"] for t in metric["tags"]} == {"gateway": "gw-1", "service": "app-vision"}
        assert metric["timestamp"] > 1_700_000_000 * 10**9
    fields = {name: {f["name"]: f["value"] for f in v["metric"]["fields"]} for name, v in verdicts.items()}
    assert fields["FramesReceived"] == {"counter-count": 7}
    assert fields["FrameToResultSeconds"] == {"histogram-count": 1, "histogram-mean": 0.25}
    assert fields["QueueDepth"] == {"gauge-value": 2}
    assert verdicts["FramesReceived"]["lineProtocol"].startswith(
        "FramesReceived,gateway=gw-1,service=app-vision "
    )


@pytest.mark.parametrize("consumer", [EnvelopeForm.NESTED_JSON], indirect=True, ids=lambda f: f.value)
def test_zero_valued_metrics_against_edgex_validation(consumer: PeerProcess, app_bus: BusFactory) -> None:
    """A fresh service reports zeros: EdgeX's validator must accept a 0 field value (`required` tag)."""
    _publish(app_bus, EnvelopeForm.NESTED_JSON, Metrics())
    verdicts = _by_name(consumer)
    assert sorted(verdicts) == sorted(NAMES)
    for verdict in verdicts.values():
        assert verdict["ok"] is True, verdict
