"""The app factory: BaseResponse errors, MaxRequestSize, X-Correlation-ID, /metrics, error counting."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from openapi_core.validation.response.exceptions import InvalidData

from service.api.edgex_routes import EdgeXApiDeps
from service.api.server import create_app
from service.config import Config, InsecureSecretStore, LoadedConfig
from service.metrics import Metrics
from tests.unit.api.harness import ApiHarness

Contract = Callable[[httpx.Response], None]


def _counter(metrics: Metrics, route: str) -> float:
    value = metrics.registry.get_sample_value("rest_errors_total", {"route": route})
    return value or 0.0


@pytest.mark.parametrize(
    ("method", "path", "status", "route"),
    [
        ("GET", "/api/v3/nope", 404, "unmatched"),
        ("GET", "/", 404, "unmatched"),
        ("DELETE", "/api/v3/ping", 405, "/api/v3/ping"),
        ("GET", "/api/v3/secret", 405, "/api/v3/secret"),
    ],
)
def test_http_errors_are_base_responses_and_counted(
    api: ApiHarness, base_response_schema: Any, method: str, path: str, status: int, route: str
) -> None:
    response = api.client.request(method, path)
    assert response.status_code == status
    body = base_response_schema(response)
    assert body["message"]
    assert _counter(api.metrics, route) == 1


def test_body_over_max_request_size_is_413_by_content_length(
    api: ApiHarness, base_response_schema: Any
) -> None:
    response = api.client.post(
        "/api/v3/trigger", content=b"x" * (4 * 1024 + 1), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert "MaxRequestSize" in base_response_schema(response)["message"]
    assert api.sink.events == []


def test_body_over_max_request_size_is_413_while_streaming(
    api: ApiHarness, base_response_schema: Any
) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: chunked transfer
        for _ in range(8):
            yield b"x" * 1024

    response = api.client.post(
        "/api/v3/trigger", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    base_response_schema(response)
    assert _counter(api.metrics, "/api/v3/trigger") == 1


def test_body_at_the_limit_passes_the_size_check(api: ApiHarness) -> None:
    response = api.client.post(
        "/api/v3/trigger", content=b" " * (4 * 1024), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400  # reached the decoder (the SDK's 400): not a size refusal


def test_zero_max_request_size_is_unlimited(loaded_config: LoadedConfig[Config]) -> None:
    deps = EdgeXApiDeps("app-vision", "1", "1", loaded_config.redacted, InsecureSecretStore({}), _NullSink())
    client = TestClient(create_app(deps, Metrics(), 0))
    response = client.post(
        "/api/v3/trigger", content=b" " * 100_000, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400  # reached the decoder


class _NullSink:
    def handle_event(self, req: object, received_topic: str, correlation_id: str = "") -> None:
        del req, received_topic, correlation_id

    def reject_event(self, received_topic: str, reason: str, correlation_id: str = "") -> None:
        del received_topic, reason, correlation_id


def test_unexpected_exception_is_500_base_response(
    loaded_config: LoadedConfig[Config], base_response_schema: Any
) -> None:
    router = APIRouter()

    @router.get("/api/v3/boom")
    def boom() -> None:
        raise RuntimeError("kaboom")

    metrics = Metrics()
    deps = EdgeXApiDeps("app-vision", "1", "1", loaded_config.redacted, InsecureSecretStore({}), _NullSink())
    client = TestClient(create_app(deps, metrics, 0, [router]), raise_server_exceptions=False)
    response = client.get("/api/v3/boom")
    assert response.status_code == 500
    assert base_response_schema(response)["message"] == "internal error: RuntimeError"
    assert metrics.registry.get_sample_value("rest_errors_total", {"route": "/api/v3/boom"}) == 1


def test_metrics_serves_prometheus_text(api: ApiHarness) -> None:
    api.metrics.invalid_messages_total.labels("envelope").inc(3)
    api.client.get("/api/v3/nope")
    response = api.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert 'invalid_messages_total{reason="envelope"} 3.0' in response.text
    assert 'rest_errors_total{route="unmatched"} 1.0' in response.text


def test_correlation_id_is_echoed_on_errors_too(api: ApiHarness) -> None:
    response = api.client.get("/api/v3/nope", headers={"X-Correlation-ID": "abc"})
    assert response.headers["X-Correlation-ID"] == "abc"


def test_contract_check_rejects_a_nonconforming_response(api: ApiHarness, openapi_contract: Contract) -> None:
    """The OpenAPI check can fail: a /version body with a numeric sdk_version is refused."""
    good = api.client.get("/api/v3/version")
    bad = httpx.Response(
        200,
        json={**good.json(), "sdk_version": 3},
        headers={"X-Correlation-ID": good.headers["X-Correlation-ID"]},
        request=good.request,
    )
    with pytest.raises(InvalidData):
        openapi_contract(bad)
