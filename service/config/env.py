"""EdgeX environment overrides: any existing key path, upper-cased, '.' and '-' -> '_'.

As in go-mod-bootstrap (`environment.OverrideConfigMapValues`): only keys that already exist (in
the code defaults or a file) can be overridden; the text is converted to the existing value's type
(bool, int, float, comma-separated list, string). Examples: WRITABLE_LOGLEVEL, SERVICE_PORT,
MESSAGEBUS_OPTIONAL_CLIENTID, CLIENTS_CORE_COMMAND_HOST, TRIGGER_SUBSCRIBETOPICS=a/#,b/#,
WRITABLE_INSECURESECRETS_MQTT_SECRETDATA_PASSWORD, APPCUSTOM_ENGINE_DEVICE.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import yaml

from service.config.errors import ConfigError
from service.config.sources import RawConfig

# Go's strconv.ParseBool, which go-mod-bootstrap uses for overrides and EDGEX_USE_REGISTRY & co.
_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


def parse_go_bool(text: str) -> bool:
    """A boolean spelled as Go's strconv.ParseBool accepts it; anything else is a ValueError."""
    value = text.strip()
    if value in _TRUE or value in _FALSE:
        return value in _TRUE
    raise ValueError(f"expects true or false, got {text!r}")


@dataclass(frozen=True, slots=True)
class EnvOverride:
    """One environment variable applied to one key path."""

    variable: str
    path: tuple[str, ...]

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


def env_name(path: tuple[str, ...]) -> str:
    """The environment variable that overrides `path` (e.g. ('Clients','core-command','Host'))."""
    return "_".join(path).upper().replace("-", "_").replace(".", "_")


def apply_env_overrides(
    data: RawConfig, environ: Mapping[str, str]
) -> tuple[RawConfig, tuple[EnvOverride, ...]]:
    """`data` with every matching variable applied, and the list applied; ConfigError on bad values."""
    result = _copy(data)
    applied: list[EnvOverride] = []
    issues: list[str] = []
    for path, current in list(_leaves(result, ())):
        variable = env_name(path)
        if variable not in environ:
            continue
        override = EnvOverride(variable, path)
        try:
            _set(result, path, convert(environ[variable], current))
        except ValueError as exc:
            issues.append(f"{variable}: {override.dotted}: {exc}")
            continue
        applied.append(override)
    if issues:
        raise ConfigError(issues)
    return result, tuple(applied)


def convert(text: str, current: object) -> object:
    """`text` converted to the type of `current` (the value it replaces)."""
    if isinstance(current, bool):
        return parse_go_bool(text)
    if isinstance(current, int):
        try:
            return int(text.strip())
        except ValueError:
            raise ValueError(f"expects an integer, got {text!r}") from None
    if isinstance(current, float):
        try:
            return float(text.strip())
        except ValueError:
            raise ValueError(f"expects a number, got {text!r}") from None
    if isinstance(current, list | tuple):
        return [part.strip() for part in text.split(",") if part.strip()]
    if current is None:
        return _scalar(text)
    return text


def _scalar(text: str) -> object:
    """A key whose value is null takes the YAML meaning of the text ('3' -> 3, '[1, 2]' -> list)."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def _leaves(node: Mapping[str, object], prefix: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], object]]:
    for key, value in node.items():
        path = (*prefix, str(key))
        if isinstance(value, Mapping):
            yield from _leaves(value, path)
        else:
            yield path, value


def _set(node: RawConfig, path: tuple[str, ...], value: object) -> None:
    for key in path[:-1]:
        child = node[key]
        assert isinstance(child, dict)  # _leaves only descends into mappings, and _copy made them dicts
        node = child
    node[path[-1]] = value


def _copy(node: Mapping[str, object]) -> RawConfig:
    return {str(key): _copy(value) if isinstance(value, Mapping) else value for key, value in node.items()}
