"""Model package REST: upload, pull from a loopback HTTP server, rollback, inventory; refusals counted."""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import pytest
from fastapi.testclient import TestClient

from service.api.edgex_routes import EdgeXApiDeps
from service.api.model_routes import model_router
from service.api.server import create_app
from service.config import InsecureSecretStore
from service.metrics import Metrics
from service.model_runtime import ModelRuntime, ModelRuntimeDeps, restored_models
from service.simulator.photos import load_photo
from service.vision.engine import Engine
from service.vision.specs import EngineSettings, bundled_models
from tests.models.packaging import person_manifest, tar_package, write_package, zip_package
from tests.unit.api.harness import RecordingSink


@dataclass(frozen=True)
class Camera:
    name: str
    models: tuple[str, ...]


class View:
    """Two cameras on the person model, one on face; the latest snapshots are real photos."""

    def __init__(self) -> None:
        self.snapshots: list[str] = []

    def cameras(self) -> list[Camera]:
        return [
            Camera("cam-door", ("person",)),
            Camera("cam-hall", ("person", "face")),
            Camera("cam-x", ("face",)),
        ]

    def latest_snapshot(self, camera: str) -> bytes | None:
        self.snapshots.append(camera)
        return cv2.imencode(".jpg", load_photo("astronaut"))[1].tobytes()


@dataclass
class Served:
    client: TestClient
    metrics: Metrics
    engine: Engine
    view: View
    state_dir: Path


@pytest.fixture
def served(models_dir: Path, tmp_path: Path) -> Iterator[Served]:
    models = bundled_models()
    metrics, view = Metrics(), View()
    with Engine(models, EngineSettings(ModelsDir=models_dir, CacheDir=None)) as engine:
        runtime = ModelRuntime(ModelRuntimeDeps(engine, models, tmp_path / "state", "0.1.0", metrics, view))
        deps = EdgeXApiDeps("app-vision", "0.1.0", "0.1.0", dict, InsecureSecretStore({}), RecordingSink())
        app = create_app(deps, metrics, 0, [model_router(runtime)])
        yield Served(
            TestClient(app, raise_server_exceptions=False), metrics, engine, view, tmp_path / "state"
        )


def counted(metrics: Metrics, kind: str, outcome: str) -> float:
    return metrics.model_deploys_total.labels(kind, outcome)._value.get()


def models_row(client: TestClient, name: str) -> dict[str, object]:
    body = client.get("/api/v3/models").json()
    assert body["statusCode"] == 200
    return next(row for row in body["models"] if row["name"] == name)


def upload(client: TestClient, archive: Path) -> tuple[int, dict[str, object]]:
    response = client.post("/api/v3/models", files={"package": (archive.name, archive.read_bytes())})
    return response.status_code, response.json()


def test_upload_deploys_lists_and_rolls_back(served: Served, tmp_path: Path) -> None:
    client = served.client
    assert models_row(client, "person")["active"] == "config"
    archive = tar_package(
        write_package(tmp_path / "pkg", person_manifest()), tmp_path / "person-2.0.0.tar.gz"
    )
    status, body = upload(client, archive)
    assert status == 201, body
    assert (body["name"], body["version"], body["device"]) == ("person", "2.0.0", "CPU")
    assert body["steps"] == ["unpack", "verify", "load", "samples", "frames", "latency", "swap"]
    assert served.view.snapshots == ["cam-door", "cam-hall"]  # recent real frames of its cameras
    row = models_row(client, "person")
    assert (row["active"], row["device"], row["cameras"]) == ("2.0.0", "CPU", ["cam-door", "cam-hall"])
    assert isinstance(row["latencyMs"], float) and row["latencyMs"] > 0
    assert [(v["version"], v["state"]) for v in row["versions"]] == [("2.0.0", "active")]  # type: ignore[attr-defined]
    assert counted(served.metrics, "deploy", "ok") == 1
    assert str(served.state_dir) in served.engine.spec("person").File
    # After a restart the package serves again
    assert restored_models(bundled_models(), served.state_dir, "0.1.0")["person"] == served.engine.spec(
        "person"
    )

    response = client.post("/api/v3/models/person/rollback")
    assert response.status_code == 200, response.text
    assert response.json()["version"] == "config"
    row = models_row(client, "person")
    assert row["active"] == "config"
    assert [(v["version"], v["state"]) for v in row["versions"]] == [("2.0.0", "inactive")]  # type: ignore[attr-defined]
    assert served.engine.spec("person") == bundled_models()["person"]
    again = client.post("/api/v3/models/person/rollback")
    assert again.status_code == 404
    assert "has no deployed package" in again.json()["message"]


def test_a_tampered_upload_is_refused_counted_and_the_old_model_serves(
    served: Served, tmp_path: Path
) -> None:
    root = write_package(tmp_path / "pkg", person_manifest())
    (root / "model/ssdlite-person.xml").write_text((root / "model/ssdlite-person.xml").read_text() + " ")
    status, body = upload(served.client, zip_package(root, tmp_path / "person.zip"))
    assert status == 400
    assert body["message"] == (
        "package person.zip refused at step 'verify': model/ssdlite-person.xml: sha256 mismatch: "
        f"manifest says {person_sha(root)}"
    )
    assert counted(served.metrics, "deploy", "verify") == 1
    assert models_row(served.client, "person")["active"] == "config"
    assert len(served.engine.infer("person", load_photo("astronaut"))) >= 1


def person_sha(root: Path) -> str:
    digest = json.loads((root / "manifest.json").read_text())["Files"]["model/ssdlite-person.xml"]
    actual = hashlib.sha256((root / "model/ssdlite-person.xml").read_bytes()).hexdigest()
    return f"{digest}, file has {actual}"


@pytest.mark.parametrize(
    ("files", "text"),
    [
        ({"package": ("person.rar", b"x")}, "package: 'person.rar' is not a .tar.gz or .zip"),
        ({"other": ("p.zip", b"x")}, "package: Field required"),
        (
            {"package": ("p.zip", b"not a zip")},
            "package p.zip refused at step 'unpack': p.zip: not a readable .zip",
        ),
    ],
)
def test_bad_uploads_name_the_problem(served: Served, files: dict[str, tuple[str, bytes]], text: str) -> None:
    response = served.client.post("/api/v3/models", files=files)
    assert response.status_code == 400
    assert text in response.json()["message"]


@pytest.fixture
def web(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A loopback HTTP server serving tmp_path/www."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_pull_deploys_a_pinned_package(served: Served, tmp_path: Path, web: tuple[str, Path]) -> None:
    base, www = web
    archive = tar_package(
        write_package(tmp_path / "pkg", person_manifest("3.1.0")), www / "person-3.1.0.tar.gz"
    )
    pinned = hashlib.sha256(archive.read_bytes()).hexdigest()
    url = f"{base}/person-3.1.0.tar.gz"

    wrong = served.client.post("/api/v3/models/pull", json={"url": url, "sha256": "1" * 64})
    assert wrong.status_code == 400
    assert (
        f"refused at step 'download': sha256: person-3.1.0.tar.gz has sha256 {pinned}"
        in wrong.json()["message"]
    )
    missing = served.client.post("/api/v3/models/pull", json={"url": f"{base}/none.tar.gz", "sha256": pinned})
    assert missing.status_code == 400
    assert "answered 404" in missing.json()["message"]
    assert counted(served.metrics, "pull", "download") == 2
    assert models_row(served.client, "person")["active"] == "config"

    response = served.client.post("/api/v3/models/pull", json={"url": url, "sha256": pinned})
    assert response.status_code == 201, response.text
    assert response.json()["version"] == "3.1.0"
    row = models_row(served.client, "person")
    assert row["active"] == "3.1.0"
    assert row["versions"][0]["source"] == f"pull {url}"  # type: ignore[index]


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ({"url": "ftp://x/p.tar.gz", "sha256": "a" * 64}, "url: String should match pattern"),
        ({"url": "http://x/p.tar.gz", "sha256": "A"}, "sha256: String should match pattern"),
        ({"url": "http://x/p.tar.gz"}, "sha256: Field required"),
        (
            {"url": "http://127.0.0.1:9/p.exe", "sha256": "a" * 64},
            "url: http://127.0.0.1:9/p.exe does not name",
        ),
    ],
)
def test_bad_pull_bodies_name_the_field(served: Served, body: dict[str, str], text: str) -> None:
    response = served.client.post("/api/v3/models/pull", json=body)
    assert response.status_code == 400
    assert text in response.json()["message"]
