"""Telemetry on edgex/telemetry/<service key>/<name>: app-vision against the AFS twin.

Both are configured alike: Writable.Telemetry.Interval 1s, Metrics MessagesReceived and
InvalidMessagesReceived enabled (the SDK's names, which app-vision reuses), Tags {Gateway: gw-twin}.
The twin's reports are go-mod-bootstrap's (bootstrap/metrics/reporter.go messageBusReporter), in
the wire form its EDGEX_MSG_* switches select; app-vision's come from its TelemetryPublisher in an
Application started in the same form. Every message is read as sent by a plain client, and
decoded on EdgeX's consumer path (edgexpeer consume-events -kind metric: GetMsgPayload[dtos.Metric],
common.Validate, ToLineProtocol).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from service.edgex.envelope import EnvelopeForm
from tests.bus.brokers import Broker
from tests.interop.peer import Json, Peer
from tests.interop.twin import (
    APP_KEY,
    TELEMETRY_METRICS,
    TELEMETRY_TAGS,
    AppVision,
    BusRecorder,
    MetricReport,
    TwinOptions,
    Twins,
    metric_reports,
)

pytestmark = pytest.mark.interop

FORMS = list(EnvelopeForm)
ENVELOPE_KEYS = [
    "apiVersion",
    "receivedTopic",
    "correlationID",
    "requestID",
    "errorCode",
    "payload",
    "contentType",
]
METRIC_KEYS = {"apiVersion", "name", "fields", "tags", "timestamp"}
WINDOW_S = 3.5


@dataclass(frozen=True)
class Reporters:
    """The twin and app-vision publishing telemetry in one wire form, and what they sent meanwhile."""

    form: EnvelopeForm
    twin_key: str
    app: AppVision
    since: float
    until: float

    @property
    def keys(self) -> tuple[str, str]:
        return self.twin_key, APP_KEY

    def reports(self, recorder: BusRecorder, service: str, name: str) -> list[MetricReport]:
        return [r for r in metric_reports(recorder, service, name, self.since) if r.at <= self.until]


@pytest.fixture(scope="module", params=FORMS, ids=lambda f: f.value)
def reporters(
    request: pytest.FixtureRequest,
    twins: Twins,
    twin_broker: Broker,
    twin_recorder: BusRecorder,
    models_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Reporters]:
    """One form at a time (pytest finishes one parameter before the next): a twin and an app-vision
    Application in that form, then a window of WINDOW_S seconds of their reports. app-vision always
    publishes on edgex/telemetry/app-vision/..., so no other app-vision runs meanwhile."""
    form: EnvelopeForm = request.param
    twin = twins(TwinOptions(form=form))
    app = AppVision.start(twin_broker.port, tmp_path_factory.mktemp(f"app-vision-{form.value}"), form)
    try:
        since = time.time()
        time.sleep(WINDOW_S)
        yield Reporters(form, twin.options.service_key, app, since, time.time())
    finally:
        app.stop()


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def test_reports_have_the_same_envelope_and_metric_form(
    reporters: Reporters, twin_recorder: BusRecorder
) -> None:
    """Same topic layout, envelope keys and values, wire form, Metric DTO keys, field and tag names,
    and the same cadence: one report per enabled metric per interval, each with a new correlation id."""
    form = reporters.form
    for service in reporters.keys:
        for name in TELEMETRY_METRICS:
            reports = reporters.reports(twin_recorder, service, name)
            assert 2 <= len(reports) <= 5, (service, name, len(reports))
            stamps = [r.metric["timestamp"] for r in reports]
            gaps = [b - a for a, b in pairwise(stamps)]
            assert all(0.5e9 < gap < 1.5e9 for gap in gaps), (service, name, gaps)
            correlation_ids = [r.envelope["correlationID"] for r in reports]
            assert len(set(correlation_ids)) == len(reports) and all(map(_is_uuid, correlation_ids))
            for report in reports:
                envelope, metric = report.envelope, report.metric
                assert report.topic == f"edgex/telemetry/{service}/{name}"
                assert report.form == form.value, (service, name)
                assert list(envelope) == ENVELOPE_KEYS, (service, list(envelope))
                assert (envelope["apiVersion"], envelope["receivedTopic"], envelope["requestID"]) == (
                    "v3",
                    "",
                    "",
                )
                assert envelope["errorCode"] == 0
                expected_type = "application/cbor" if form is EnvelopeForm.CBOR else "application/json"
                assert envelope["contentType"] == expected_type, (service, envelope["contentType"])
                assert set(metric) == METRIC_KEYS, (service, sorted(metric))
                assert (metric["apiVersion"], metric["name"]) == ("v3", name)
                assert list(report.fields) == ["counter-count"], (service, report.fields)
                assert report.tags == {**TELEMETRY_TAGS, "service": service}
                assert abs(metric["timestamp"] / 1e9 - report.at) < 2.0, (service, metric["timestamp"])


def test_only_the_enabled_metrics_are_reported(reporters: Reporters, twin_recorder: BusRecorder) -> None:
    """The SDK registers more metrics (PipelineMessagesProcessed-default-pipeline, ...,
    SecuritySecretsRequested) and app-vision has more telemetry names; each reports the enabled ones."""
    for service in reporters.keys:
        sent = twin_recorder.where(lambda m: reporters.since < m.at <= reporters.until)
        names = {m.topic.split("/")[3] for m in sent if m.topic.startswith(f"edgex/telemetry/{service}/")}
        assert names == set(TELEMETRY_METRICS), service


def _go_consumer_verdict(peer: Peer, form: EnvelopeForm, service: str) -> Json:
    consumer = peer.start(
        "consume-events",
        ["-kind", "metric", "-topic", f"edgex/telemetry/{service}/MessagesReceived", "-count", "1"],
        form,
    )
    verdict = consumer.next()
    assert verdict["ok"] is True, verdict
    return verdict


def test_counter_values_are_integers_as_in_go_mod_bootstrap(
    reporters: Reporters, twin_recorder: BusRecorder, peer_binary: Path, twin_broker: Broker
) -> None:
    """go-mod-bootstrap reports a counter as an int64 (`counter-count`: Snapshot().Count()), a JSON
    integer (`7`) or a CBOR unsigned integer; app-vision should send the same, not a float (`7.0`).
    An EdgeX consumer sees it: from a CBOR envelope Go decodes the SDK's value as uint64, which
    Metric.ToLineProtocol renders `counter-count=7u`, and a float as `counter-count=7`."""
    twin_key, app_key = reporters.keys
    values: dict[str, Any] = {}
    for service in reporters.keys:
        reports = reporters.reports(twin_recorder, service, "MessagesReceived")
        assert reports, service
        values[service] = reports[-1].fields["counter-count"]
    peer = Peer(peer_binary, twin_broker.port)
    try:
        fields = {
            s: _go_consumer_verdict(peer, reporters.form, s)["lineProtocol"].split(" ")[1]
            for s in reporters.keys
        }
    finally:
        peer.stop_all()
    assert type(values[twin_key]) is int, values
    sdk_field = fields[twin_key]
    assert sdk_field == f"counter-count={values[twin_key]}" + (
        "u" if reporters.form is EnvelopeForm.CBOR else ""
    )
    assert type(values[app_key]) is int, (
        f"app-vision's counter-count is {values[app_key]!r} ({type(values[app_key]).__name__}), the SDK's "
        f"{values[twin_key]!r}; an EdgeX consumer renders them {fields[app_key]!r} and {sdk_field!r}"
    )
    assert fields[app_key].endswith("u") == sdk_field.endswith("u"), fields
