"""Fixtures for the REST tests: the app with a recording sink, and the AFS OpenAPI contract."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from openapi_core import Config as OpenAPIConfig
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from service.config import Config, LoadedConfig, LoadOptions, load_config
from tests.shared_material import OPENAPI_DIR
from tests.unit.api.harness import ApiHarness

SPEC = OPENAPI_DIR / "app-functions-sdk.yaml"


@pytest.fixture
def loaded_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LoadedConfig[Config]:
    monkeypatch.chdir(tmp_path)  # no ./res: built-in defaults
    environ = {"WRITABLE_INSECURESECRETS_BUS_SECRETDATA_PASSWORD": "hunter2"}
    overlay = {
        "Writable": {"InsecureSecrets": {"bus": {"SecretName": "mqtt-bus", "SecretData": {"password": "x"}}}}
    }
    return load_config(Config, LoadOptions(overlay=overlay), environ)


@pytest.fixture
def api(loaded_config: LoadedConfig[Config]) -> Iterator[ApiHarness]:
    harness = ApiHarness(loaded_config, max_request_kb=4)
    with harness.client:
        yield harness


def _spec_dict() -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    # The file's server URL is "http://localhost:/api/v3" (no port); point it at the TestClient host.
    spec = copy.deepcopy(spec)
    spec["servers"] = [{"url": "http://testserver/api/v3"}]
    return spec


class _Request:
    def __init__(self, response: httpx.Response) -> None:
        request = response.request
        self.host_url = f"{request.url.scheme}://{request.url.host}"
        self.path = request.url.path
        self.method = request.method.lower()
        self.body = request.content or None
        self.content_type = request.headers.get("content-type", "application/octet-stream").lower()
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(request.url.params.multi_items())),
            header=Headers(list(request.headers.items())),
            cookie=ImmutableMultiDict(),
        )


class _Response:
    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.content_type = response.headers.get("content-type", "").lower()
        self.headers = Headers(list(response.headers.items()))
        self.data = response.content


@pytest.fixture(scope="session")
def openapi_contract() -> Callable[[httpx.Response], None]:
    """Validates a TestClient response (and its request) against the AFS OpenAPI file."""
    if not SPEC.is_file():
        pytest.skip(f"{SPEC} missing: the shared EdgeX reference material provides it")
    # /trigger errors are declared `application/text` (a string); openapi-core has no reader for it.
    readers = {"application/text": lambda data: data.decode("utf-8")}
    spec = OpenAPI.from_dict(_spec_dict(), config=OpenAPIConfig(extra_media_type_deserializers=readers))

    def check(response: httpx.Response) -> None:
        spec.validate_response(_Request(response), _Response(response))

    return check


@pytest.fixture(scope="session")
def base_response_schema() -> Callable[[httpx.Response], dict[str, Any]]:
    """Validates a body against the spec's BaseResponse schema (for statuses the spec does not list)."""
    import jsonschema

    schema = _spec_dict()["components"]["schemas"]["BaseResponse"]

    def check(response: httpx.Response) -> dict[str, Any]:
        body: dict[str, Any] = json.loads(response.content)
        jsonschema.validate(body, schema, format_checker=jsonschema.FormatChecker())
        assert body["apiVersion"] == "v3"
        assert body["statusCode"] == response.status_code
        return body

    return check
