"""Model package manifests, safe unpacking and hash verification (no model needed)."""

from __future__ import annotations

import io
import json
import re
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest

from service.vision.errors import PackageError
from service.vision.packages import UnpackLimits, read_manifest, sha256_of, unpack, verify_package

DIGEST = "a" * 64


def manifest(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "Name": "person",
        "Version": "1.0.0",
        "Decoder": "ssd",
        "Labels": ["person"],
        "Model": "m.onnx",
        "Input": {"Width": 300, "Height": 300, "Layout": "NHWC"},
        "Thresholds": {"Score": 0.5},
        "Files": {"m.onnx": DIGEST, "s.jpg": DIGEST},
        "MinAppVersion": "0.1.0",
        "Samples": [{"File": "s.jpg", "Expect": [{"Label": "person"}]}],
    }
    body.update(changes)
    return body


@pytest.mark.parametrize(
    ("changes", "where", "text"),
    [
        ({"Name": "../x"}, "manifest.json Name", "letters, digits"),
        ({"Version": "one"}, "manifest.json Version", "not a version"),
        ({"Decoder": "ssdd"}, "manifest.json Decoder", "unknown decoder 'ssdd'"),
        ({"Model": "../m.onnx"}, "manifest.json Model", "not a relative path"),
        ({"Files": {"m.onnx": "XYZ", "s.jpg": DIGEST}}, "manifest.json Files", "m.onnx: 'XYZ' is not"),
        ({"Files": {"s.jpg": DIGEST}}, "manifest.json", "Model: m.onnx is not listed in Files"),
        (
            {"Model": "m.xml", "Files": {"m.xml": DIGEST, "s.jpg": DIGEST}},
            "manifest.json",
            "m.bin is not listed",
        ),
        ({"Input": {"Width": 0, "Height": 1, "Layout": "NHWC"}}, "manifest.json Input.Width", "greater"),
        ({"Input": {"Width": 1, "Height": 1, "Layout": "HWC"}}, "manifest.json Input.Layout", "NCHW"),
        (
            {"Samples": [{"File": "s.jpg", "Expect": [{"Label": "car"}]}]},
            "manifest.json",
            "'car' is not in Labels",
        ),
        ({"Extra": 1}, "manifest.json Extra", "Extra inputs"),
    ],
)
def test_a_bad_manifest_names_the_field(
    tmp_path: Path, changes: dict[str, Any], where: str, text: str
) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps(manifest(**changes)))
    with pytest.raises(PackageError) as caught:
        read_manifest(tmp_path)
    assert caught.value.where == where
    assert text in caught.value.reason


def test_a_good_manifest_gives_a_spec(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps(manifest()))
    spec = read_manifest(tmp_path).spec(tmp_path)
    assert (spec.File, spec.InputSize, spec.Decoder) == (str(tmp_path / "m.onnx"), (300, 300), "ssd")


def test_no_manifest_and_bad_json_are_named(tmp_path: Path) -> None:
    with pytest.raises(PackageError, match=re.escape("manifest.json: missing")):
        read_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text("{")
    with pytest.raises(PackageError, match=re.escape("manifest.json: not valid JSON")):
        read_manifest(tmp_path)


def tar_with(tmp_path: Path, member: tarfile.TarInfo, data: bytes = b"") -> Path:
    path = tmp_path / "p.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        member.size = len(data) if member.isfile() else 0
        archive.addfile(member, io.BytesIO(data) if member.isfile() else None)
    return path


@pytest.mark.parametrize(
    ("name", "kind", "text"),
    [
        ("../evil", tarfile.REGTYPE, "path outside the package"),
        ("/etc/evil", tarfile.REGTYPE, "path outside the package"),
        ("a/../../evil", tarfile.REGTYPE, "path outside the package"),
        ("link", tarfile.SYMTYPE, "links and special files"),
        ("hard", tarfile.LNKTYPE, "links and special files"),
        ("fifo", tarfile.FIFOTYPE, "links and special files"),
    ],
)
def test_unsafe_tar_members_are_refused(tmp_path: Path, name: str, kind: bytes, text: str) -> None:
    member = tarfile.TarInfo(name)
    member.type = kind
    member.linkname = "/etc/passwd"
    with pytest.raises(PackageError) as caught:
        unpack(tar_with(tmp_path, member, b"x"), tmp_path / "out")
    assert caught.value.where == name
    assert text in caught.value.reason
    assert not (tmp_path / "evil").exists()


def test_a_zip_with_traversal_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("../evil", b"x")
    with pytest.raises(PackageError, match=re.escape("../evil: path outside the package")):
        unpack(path, tmp_path / "out")


def test_size_and_count_limits_hold(tmp_path: Path) -> None:
    member = tarfile.TarInfo("big")
    with pytest.raises(PackageError, match=re.escape("big: larger than 10 bytes")):
        unpack(tar_with(tmp_path, member, b"x" * 11), tmp_path / "a", UnpackLimits(max_file_bytes=10))
    source = tmp_path / "dir"
    source.mkdir()
    for i in range(3):
        (source / f"f{i}").write_bytes(b"x")
    with pytest.raises(PackageError, match=re.escape("more than 2 files")):
        unpack(source, tmp_path / "b", UnpackLimits(max_files=2))
    with pytest.raises(PackageError, match=re.escape("more than 2 bytes")):
        unpack(source, tmp_path / "c", UnpackLimits(max_total_bytes=2))


def test_not_a_package_and_a_corrupt_archive_are_named(tmp_path: Path) -> None:
    with pytest.raises(PackageError, match=re.escape("m.rar: not a package")):
        unpack(tmp_path / "m.rar", tmp_path / "a")
    (tmp_path / "m.tar.gz").write_bytes(b"garbage")
    with pytest.raises(PackageError, match=re.escape("m.tar.gz: not a readable .tar.gz")):
        unpack(tmp_path / "m.tar.gz", tmp_path / "b")


def test_verify_names_the_missing_tampered_or_unlisted_file(tmp_path: Path) -> None:
    (tmp_path / "m.onnx").write_bytes(b"model")
    (tmp_path / "s.jpg").write_bytes(b"jpeg")
    good = {"m.onnx": sha256_of(tmp_path / "m.onnx"), "s.jpg": sha256_of(tmp_path / "s.jpg")}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest(Files=good)))
    verify_package(tmp_path, read_manifest(tmp_path), "0.1.0")
    with pytest.raises(
        PackageError, match=re.escape("MinAppVersion: the package needs app-vision 0.1.0; this is 0.0.9")
    ):
        verify_package(tmp_path, read_manifest(tmp_path), "0.0.9")
    (tmp_path / "extra.txt").write_text("?")
    with pytest.raises(PackageError, match=re.escape("extra.txt: in the package but not listed")):
        verify_package(tmp_path, read_manifest(tmp_path), "0.1.0")
    (tmp_path / "extra.txt").unlink()
    (tmp_path / "s.jpg").write_bytes(b"other")
    with pytest.raises(PackageError, match=re.escape("s.jpg: sha256 mismatch")):
        verify_package(tmp_path, read_manifest(tmp_path), "0.1.0")
    (tmp_path / "s.jpg").unlink()
    with pytest.raises(PackageError, match=re.escape("s.jpg: listed in Files but missing")):
        verify_package(tmp_path, read_manifest(tmp_path), "0.1.0")
