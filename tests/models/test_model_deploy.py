"""Model packages deployed into a running engine: swap, rollback, tampered packages refused."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import numpy as np
import pytest

from service.simulator.photos import load_photo
from service.vision.detection import Detections
from service.vision.engine import Engine
from service.vision.errors import DeployError
from service.vision.packages import PackageStore
from service.vision.packages.deploy import DeployOptions, ModelDeployer
from service.vision.specs import EngineSettings, bundled_models
from tests.models.conftest import OnnxBuilder
from tests.models.packaging import person_manifest, tar_package, write_package, zip_package


@pytest.fixture
def served(models_dir: Path, tmp_path: Path) -> Iterator[tuple[Engine, ModelDeployer]]:
    """A fresh engine on the bundled models and a deployer with its store under tmp_path."""
    models = bundled_models()
    engine = Engine(models, EngineSettings(ModelsDir=models_dir, CacheDir=None))
    deployer = ModelDeployer(
        engine, PackageStore(tmp_path / "state" / "models"), models, DeployOptions("0.1.0")
    )
    with engine:
        yield engine, deployer


def persons(engine: Engine) -> int:
    return sum(1 for d in engine.infer("person", load_photo("astronaut")) if d.label == "person")


@pytest.mark.parametrize("form", ["dir", "tar.gz", "zip"])
def test_a_package_deploys_and_serves(
    served: tuple[Engine, ModelDeployer], tmp_path: Path, form: str
) -> None:
    engine, deployer = served
    root = write_package(tmp_path / "pkg", person_manifest())
    source = {"dir": lambda: root, "tar.gz": lambda: tar_package(root, tmp_path / "p.tar.gz"),
              "zip": lambda: zip_package(root, tmp_path / "p.zip")}[form]()  # fmt: skip
    result = deployer.deploy(source, "test")
    assert (result.name, result.version, result.device) == ("person", "2.0.0", "CPU")
    assert result.latency_ms > 0
    assert engine.spec("person").File == str(tmp_path / "state/models/person/2.0.0/model/ssdlite-person.xml")
    assert persons(engine) >= 1
    assert [r.version for r in deployer.store.history("person")] == ["2.0.0"]


def refused(deployer: ModelDeployer, engine: Engine, source: Path, step: str, text: str) -> None:
    before = engine.spec("person")
    with pytest.raises(DeployError) as caught:
        deployer.deploy(source, "test")
    assert caught.value.step == step
    assert text in str(caught.value)
    assert engine.spec("person") == before  # the active model is untouched and still serves
    assert persons(engine) >= 1
    assert deployer.store.history("person") == []
    assert list((deployer.store.root / ".staging").iterdir()) == []


def test_a_wrong_sha256_is_refused(served: tuple[Engine, ModelDeployer], tmp_path: Path) -> None:
    engine, deployer = served
    root = write_package(tmp_path / "pkg", person_manifest())
    manifest = json.loads((root / "manifest.json").read_text())
    manifest["Files"]["model/ssdlite-person.bin"] = "0" * 64
    (root / "manifest.json").write_text(json.dumps(manifest))
    refused(deployer, engine, root, "verify", "model/ssdlite-person.bin: sha256 mismatch")


def test_a_tampered_weights_file_is_refused(served: tuple[Engine, ModelDeployer], tmp_path: Path) -> None:
    engine, deployer = served
    root = write_package(tmp_path / "pkg", person_manifest())
    weights = root / "model/ssdlite-person.bin"
    data = bytearray(weights.read_bytes())
    data[1000] ^= 0xFF
    weights.write_bytes(bytes(data))
    refused(deployer, engine, tar_package(root, tmp_path / "p.tar.gz"), "verify", "sha256 mismatch")


def test_a_missing_file_is_refused(served: tuple[Engine, ModelDeployer], tmp_path: Path) -> None:
    engine, deployer = served
    root = write_package(tmp_path / "pkg", person_manifest())
    (root / "model/ssdlite-person.bin").unlink()
    refused(deployer, engine, root, "verify", "model/ssdlite-person.bin: listed in Files but missing")


def test_outputs_the_decoder_cannot_read_are_refused(
    served: tuple[Engine, ModelDeployer], tmp_path: Path, constant_head_onnx: OnnxBuilder
) -> None:
    engine, deployer = served
    onnx_path = constant_head_onnx("junk", np.zeros((1, 5), np.float32), (1, 3, 64, 64))
    manifest = person_manifest(
        Model="model/junk.onnx", Input={"Width": 64, "Height": 64, "Layout": "NCHW"}, Samples=[]
    )
    root = write_package(tmp_path / "pkg", manifest, {"model/junk.onnx": onnx_path})
    refused(deployer, engine, root, "load", "junk.onnx")


def test_samples_that_miss_their_detections_are_refused(
    served: tuple[Engine, ModelDeployer], tmp_path: Path
) -> None:
    engine, deployer = served
    samples = [{"File": "samples/coffee.jpg", "Expect": [{"Label": "person", "MinCount": 1}]}]
    root = write_package(tmp_path / "pkg", person_manifest(Samples=samples))
    refused(deployer, engine, root, "samples", "Samples.0.Expect.0 (samples/coffee.jpg): expected 1..any")


def test_a_latency_budget_too_small_is_refused(served: tuple[Engine, ModelDeployer], tmp_path: Path) -> None:
    engine, deployer = served
    root = write_package(tmp_path / "pkg", person_manifest(LatencyBudgetMs=0.001))
    refused(deployer, engine, root, "latency", "over LatencyBudgetMs 0.001")


def test_a_newer_app_version_required_is_refused(
    served: tuple[Engine, ModelDeployer], tmp_path: Path
) -> None:
    engine, deployer = served
    root = write_package(tmp_path / "pkg", person_manifest(MinAppVersion="9.0"))
    refused(
        deployer, engine, root, "verify", "MinAppVersion: the package needs app-vision 9.0; this is 0.1.0"
    )


class Load:
    """Frames submitted continuously from threads; every result and error kept."""

    def __init__(self, engine: Engine, threads: int = 3) -> None:
        self.engine = engine
        self.stop = threading.Event()
        self.frames = [load_photo("astronaut"), load_photo("chelsea")]
        self.futures: list[Future[Detections]] = []
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(i,)) for i in range(threads)]

    def _run(self, index: int) -> None:
        while not self.stop.is_set():
            try:
                future = self.engine.submit("person", self.frames[index % 2])
            except Exception as exc:  # would be a dropped frame
                with self._lock:
                    self.errors.append(exc)
                continue
            with self._lock:
                self.futures.append(future)
            future.result(30)

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(30)

    def submitted(self) -> int:
        with self._lock:
            return len(self.futures)


def test_a_swap_and_a_rollback_under_load_drop_no_frame(
    served: tuple[Engine, ModelDeployer], tmp_path: Path
) -> None:
    engine, deployer = served
    engine.load("person")
    first = write_package(tmp_path / "v2", person_manifest("2.0.0"))
    second = write_package(tmp_path / "v3", person_manifest("3.0.0", Thresholds={"Score": 0.6}))
    with Load(engine) as load:
        marks = [load.submitted()]
        for step in (lambda: deployer.deploy(first, "t"), lambda: deployer.deploy(second, "t"),
                     lambda: deployer.rollback("person"), lambda: deployer.rollback("person")):  # fmt: skip
            result = step()
            while load.submitted() < marks[-1] + 20:  # frames on the new model too
                threading.Event().wait(0.01)
            marks.append(load.submitted())
            assert result.name == "person"
    assert load.errors == []
    results = [f.exception(30) for f in load.futures]
    assert [e for e in results if e is not None] == []
    assert len(load.futures) >= 80
    assert engine.spec("person") == bundled_models()["person"]  # rolled back to the configured model
    assert deployer.store.history("person") == []
    assert deployer.store.versions("person") == ["2.0.0", "3.0.0"]  # kept on disk
