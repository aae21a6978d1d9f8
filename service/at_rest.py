"""Images at rest: files sealed with AES-GCM (256-bit key), and where the key comes from.

A sealed file is `MAGIC | nonce (12 bytes) | ciphertext+tag`; the file's name is the associated
data, so a file copied over another alert's name is refused like an altered one. Snapshots use it
(service/pipeline/state/snapshot_store.py); clips may (service/streams/clip_store.py).

The key comes from a `KeySource`: `KeyFile` (non-secure mode: 32 random bytes in a mode-0600 file
in the state directory, made on first start). Secure mode will give the key from the secret store
through the same one-method protocol.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"AVSEAL1\n"
NONCE_BYTES = 12
KEY_BYTES = 32
KEY_FILE = "at-rest.key"
"""The key file's name in the state directory."""


class AtRestError(Exception):
    """The key cannot be had, or a sealed file cannot be opened."""


class SealedFileError(AtRestError):
    """A file is not sealed, or was altered (or sealed with another key): its content is refused."""


class KeySource(Protocol):
    """Gives the at-rest key (32 bytes)."""

    def key(self) -> bytes: ...


class KeyFile:
    """The key in a file readable by its owner only; created (0600) when missing."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def key(self) -> bytes:
        """The key; AtRestError for a file of the wrong size or readable by others."""
        try:
            return self._read() if self.path.exists() else self._create()
        except OSError as exc:
            raise AtRestError(f"at-rest key file {self.path}: {exc.strerror or exc}") from exc

    def _read(self) -> bytes:
        mode = stat.S_IMODE(self.path.stat().st_mode)
        if mode & 0o077:
            raise AtRestError(
                f"at-rest key file {self.path} is readable by others (mode {mode:o}); chmod 600 it"
            )
        data = self.path.read_bytes()
        if len(data) != KEY_BYTES:
            raise AtRestError(f"at-rest key file {self.path} holds {len(data)} bytes, not {KEY_BYTES}")
        return data

    def _create(self) -> bytes:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(KEY_BYTES)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(key)
        return key


class Sealer:
    """Seals and opens bytes with one key; safe to share between threads."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise AtRestError(f"an at-rest key has {KEY_BYTES} bytes, not {len(key)}")
        self._aead = AESGCM(key)

    def seal(self, plain: bytes, name: str) -> bytes:
        """`plain` sealed for the file `name`."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        return MAGIC + nonce + self._aead.encrypt(nonce, plain, name.encode("utf-8"))

    def open(self, sealed: bytes, name: str) -> bytes:
        """The plain bytes of a file sealed for `name`; SealedFileError when not sealed or altered."""
        if not is_sealed(sealed):
            raise SealedFileError(f"{name} is not a sealed file")
        body = sealed[len(MAGIC) :]
        nonce, ciphertext = body[:NONCE_BYTES], body[NONCE_BYTES:]
        try:
            return self._aead.decrypt(nonce, ciphertext, name.encode("utf-8"))
        except InvalidTag:
            raise SealedFileError(
                f"{name} failed its integrity check (altered, or sealed with another key)"
            ) from None

    def write(self, path: Path, plain: bytes) -> None:
        """Seal `plain` into `path` (written to a temporary file, then renamed; mode 0600)."""
        temporary = path.with_name(f".{path.name}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(self.seal(plain, path.name))
        temporary.replace(path)

    def read(self, path: Path) -> bytes:
        """The plain bytes of the sealed file `path`; SealedFileError when not sealed or altered."""
        return self.open(path.read_bytes(), path.name)


def is_sealed(data: bytes) -> bool:
    """Whether `data` starts as a sealed file does (says nothing of its integrity)."""
    return data.startswith(MAGIC) and len(data) >= len(MAGIC) + NONCE_BYTES + 16
