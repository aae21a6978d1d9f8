"""The REST app under test: a recording event sink and the app built around it."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient

from service.api.edgex_routes import EdgeXApiDeps
from service.api.server import create_app
from service.config import Config, InsecureSecretStore, LoadedConfig
from service.edgex.dtos import AddEventRequest
from service.metrics import Metrics


class RecordingSink:
    """EventSink that records events; `fail` makes it raise (the pipeline failing)."""

    def __init__(self) -> None:
        self.events: list[tuple[AddEventRequest, str]] = []
        self.correlation_ids: list[str] = []
        self.rejected: list[str] = []
        self.fail = False
        self._lock = threading.Lock()

    def handle_event(self, req: AddEventRequest, received_topic: str, correlation_id: str = "") -> None:
        if self.fail:
            raise RuntimeError("pipeline refused the event")
        with self._lock:
            self.events.append((req, received_topic))
            self.correlation_ids.append(correlation_id)

    def reject_event(self, received_topic: str, reason: str, correlation_id: str = "") -> None:
        with self._lock:
            self.rejected.append(reason)


class ApiHarness:
    def __init__(self, loaded: LoadedConfig[Config], max_request_kb: int) -> None:
        self.sink = RecordingSink()
        self.metrics = Metrics()
        self.secrets = InsecureSecretStore(loaded.config.Writable.InsecureSecrets)
        deps = EdgeXApiDeps("app-vision", "1.2.3", "1.2.3", loaded.redacted, self.secrets, self.sink)
        self.app = create_app(deps, self.metrics, max_request_kb)
        self.client = TestClient(self.app, raise_server_exceptions=False)
