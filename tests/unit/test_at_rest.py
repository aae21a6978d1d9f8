"""service/at_rest.py: the key file (0600, made once, refused when others can read it) and sealing."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from service.at_rest import KEY_BYTES, AtRestError, KeyFile, SealedFileError, Sealer, is_sealed


def test_the_key_file_is_made_once_with_mode_0600(tmp_path: Path) -> None:
    source = KeyFile(tmp_path / "state" / "at-rest.key")
    key = source.key()
    assert len(key) == KEY_BYTES
    assert stat.S_IMODE(source.path.stat().st_mode) == 0o600
    assert KeyFile(source.path).key() == key  # the next start reads the same key


@pytest.mark.parametrize(
    ("content", "mode", "message"),
    [
        (b"x" * KEY_BYTES, 0o644, "readable by others"),
        (b"short", 0o600, "holds 5 bytes"),
    ],
)
def test_a_bad_key_file_is_refused_with_its_reason(
    tmp_path: Path, content: bytes, mode: int, message: str
) -> None:
    path = tmp_path / "at-rest.key"
    path.write_bytes(content)
    os.chmod(path, mode)
    with pytest.raises(AtRestError, match=message):
        KeyFile(path).key()


def test_sealed_bytes_open_only_under_their_name_and_key() -> None:
    key = bytes(range(KEY_BYTES))
    sealer = Sealer(key)
    sealed = sealer.seal(b"\xff\xd8jpeg", "a-1.jpg")
    assert is_sealed(sealed) and b"jpeg" not in sealed
    assert sealer.open(sealed, "a-1.jpg") == b"\xff\xd8jpeg"
    with pytest.raises(SealedFileError, match="integrity"):
        sealer.open(sealed, "a-2.jpg")  # copied over another alert's file
    with pytest.raises(SealedFileError, match="integrity"):
        Sealer(bytes(KEY_BYTES)).open(sealed, "a-1.jpg")
    flipped = bytearray(sealed)
    flipped[-1] ^= 1
    with pytest.raises(SealedFileError, match="integrity"):
        sealer.open(bytes(flipped), "a-1.jpg")
    with pytest.raises(SealedFileError, match="not a sealed file"):
        sealer.open(b"\xff\xd8plain", "a-1.jpg")
    with pytest.raises(AtRestError):
        Sealer(b"short")


def test_written_files_are_0600_and_read_back(tmp_path: Path) -> None:
    sealer = Sealer(KeyFile(tmp_path / "k").key())
    path = tmp_path / "a.jpg"
    sealer.write(path, b"data")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sealer.read(path) == b"data"
    assert list(tmp_path.glob(".*.tmp")) == []
