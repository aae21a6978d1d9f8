"""Secure-mode secret store: the service's KV v1 folder `secret/edgex/<service-key>/` in OpenBao.

It offers the insecure store's interface (service/config/secrets.py: `get`, `store`, `names`) so
callers need not know the mode. As go-mod-bootstrap's SecureProvider: reads are cached, `store`
clears the cache, and every call goes through the TokenKeeper (a 403 re-reads the token file and
retries once). One difference from the insecure store follows from KV v1: `store` replaces the
whole secret (as EdgeX's StoreSecret does in secure mode) rather than merging keys into it.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from service.edgex.secretstore.client import OpenBaoClient
from service.edgex.secretstore.errors import SecretNotFound
from service.edgex.secretstore.token_keeper import TokenKeeper


class SecureSecretStore:
    """Thread-safe secret name -> {key: value}, backed by OpenBao; raises SecretStoreError types."""

    def __init__(self, client: OpenBaoClient, keeper: TokenKeeper) -> None:
        self._client = client
        self._keeper = keeper
        self._lock = threading.Lock()
        self._cache: dict[str, dict[str, str]] = {}

    def get(self, secret_name: str) -> dict[str, str]:
        """A copy of the secret's data; {} when nothing is stored under the name."""
        with self._lock:
            cached = self._cache.get(secret_name)
        if cached is not None:
            return dict(cached)
        try:
            data = self._keeper.call(lambda token: self._client.read_secret(token, secret_name))
        except SecretNotFound:
            return {}
        with self._lock:
            self._cache[secret_name] = data
        return dict(data)

    def store(self, secret_name: str, data: Mapping[str, str]) -> None:
        """Write the secret (KV v1 replaces it whole) and forget every cached read."""
        values = dict(data)
        self._keeper.call(lambda token: self._client.write_secret(token, secret_name, values))
        with self._lock:
            self._cache.clear()

    def names(self) -> tuple[str, ...]:
        """The names stored in the service's folder, sorted."""
        return tuple(sorted(self._keeper.call(self._client.list_secrets)))
