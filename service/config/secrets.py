"""Insecure-mode secret store: Writable.InsecureSecrets plus what POST /api/v3/secret adds.

EdgeX finds a secret by its SecretName (not by the InsecureSecrets map key). Secrets added over
REST live in memory only, as app-vision has no configuration provider to write them back to.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from service.config.sections import InsecureSecret


class InsecureSecretStore:
    """Thread-safe SecretName -> {key: value}; seeded from configuration."""

    def __init__(self, secrets: Mapping[str, InsecureSecret]) -> None:
        self._lock = threading.Lock()
        self._secrets: dict[str, dict[str, str]] = {}
        for name, secret in secrets.items():
            self._secrets[secret.SecretName or name] = dict(secret.SecretData)

    def get(self, secret_name: str) -> dict[str, str]:
        """A copy of the secret's data; {} when unknown."""
        with self._lock:
            return dict(self._secrets.get(secret_name, {}))

    def store(self, secret_name: str, data: Mapping[str, str]) -> None:
        """Add or replace keys of a secret (EdgeX StoreSecret merges keys into the named secret)."""
        with self._lock:
            self._secrets.setdefault(secret_name, {}).update(data)

    def names(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(sorted(self._secrets))
