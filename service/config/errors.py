"""Errors of the configuration package.

ConfigError            the configuration cannot be used; `issues` lists every problem found,
                       each naming its key path (e.g. "MessageBus.Optional.Qoss: extra key")
UnsupportedModeError   (ConfigError) a deployment mode app-vision does not implement (secure mode)
"""

from __future__ import annotations

from collections.abc import Sequence


class ConfigError(Exception):
    """The configuration is invalid; `issues` holds one line per problem."""

    def __init__(self, issues: Sequence[str]) -> None:
        self.issues: tuple[str, ...] = tuple(issues)
        super().__init__("; ".join(self.issues))


class UnsupportedModeError(ConfigError):
    """The environment asks for a mode app-vision does not implement."""
