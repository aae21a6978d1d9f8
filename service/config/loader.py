"""Builds the configuration as EdgeX does: code defaults <- common config <- private config <- env.

Layers (later wins): the model's defaults, the common configuration (-cc / EDGEX_COMMON_CONFIG file:
`all-services` then `app-services`), the private file (-cd/-cf, EDGEX_CONFIG_DIR/EDGEX_CONFIG_FILE,
default ./res/configuration.yaml), an optional overlay (`app-vision demo`), then environment
overrides (service.config.env). With a configuration provider (-cp / EDGEX_CONFIG_PROVIDER,
core-keeper) the common and private layers come from keeper's KV store instead
(service.config.provider), falling back to the files when keeper cannot be reached. As in
go-mod-bootstrap, an EDGEX_* variable beats its flag.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError

from service.config.duration import parse_duration_s
from service.config.env import EnvOverride, apply_env_overrides, parse_go_bool
from service.config.errors import ConfigError
from service.config.provider import ProviderRequest, load_layers, provider_url
from service.config.redact import redact
from service.config.security import SecurityMode, security_mode
from service.config.sources import RawConfig, deep_merge, read_common_config, read_yaml

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
DEFAULT_CONFIG_DIR = "res"
DEFAULT_CONFIG_FILE = "configuration.yaml"
SERVICE_KEY = "app-vision"
DEMO_OVERLAY: Mapping[str, object] = {
    "MessageBus": {"Type": "memory"},
    "AppCustom": {"Pipeline": {"Simulator": {"Enabled": True}}},
}
"""`app-vision demo`: the in-process memory bus plus the simulated camera, PIR and light."""


@dataclass(frozen=True, slots=True)
class LoadOptions:
    """Command-line choices (-cd, -cf, -cc, -r, -cp, -o) and an optional overlay."""

    config_dir: str | None = None
    config_file: str | None = None
    common_config: str | None = None
    use_registry: bool = False
    config_provider: str | None = None
    overlay: Mapping[str, object] | None = None
    overwrite_config: bool = False
    service_key: str = SERVICE_KEY


@dataclass(frozen=True, slots=True)
class Bootstrap:
    """Where the configuration came from, and the bootstrap choices other parts act on."""

    config_file: Path | None
    common_config: Path | None
    use_registry: bool
    config_provider: str
    env_overrides: tuple[EnvOverride, ...]
    config_source: str = "file"  # "file", "file (core-keeper unreachable)", "core-keeper ..."
    from_provider: bool = False  # the common and private layers came from core-keeper
    security: SecurityMode = field(default_factory=lambda: SecurityMode(False))  # EdgeX secure mode?


@dataclass(frozen=True, slots=True)
class _Layers:
    """The common and private layers, and where they came from."""

    layers: tuple[RawConfig, ...]
    common_path: Path | None
    source: str
    from_provider: bool


@dataclass(frozen=True, slots=True)
class LoadedConfig(Generic[M]):
    config: M
    bootstrap: Bootstrap

    def redacted(self) -> dict[str, object]:
        """The configuration as EdgeX keys with secrets replaced (for display)."""
        return redact(self.config.model_dump(by_alias=True, mode="json"))


def load_config(model: type[M], options: LoadOptions, environ: Mapping[str, str]) -> LoadedConfig[M]:
    """Validate every layer into `model`; ConfigError lists every problem, each with its key path."""
    check_security_mode(environ)
    security = security_mode(environ, options.service_key)
    config_file = _config_file(options, environ)
    provider = _env_or(environ, "EDGEX_CONFIG_PROVIDER", options.config_provider) or ""
    found = _layers(model, options, environ, config_file, provider)
    data: RawConfig = model().model_dump(by_alias=True, mode="json")
    for layer in found.layers:
        data = deep_merge(data, layer)
    if options.overlay:
        data = deep_merge(data, options.overlay)
    data, applied = apply_env_overrides(data, environ)
    try:
        config = model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(validation_issues(exc)) from exc
    bootstrap = Bootstrap(
        config_file=config_file,
        common_config=found.common_path,
        use_registry=_flag(environ, "EDGEX_USE_REGISTRY", options.use_registry),
        config_provider=provider,
        env_overrides=applied,
        config_source=found.source,
        from_provider=found.from_provider,
        security=security,
    )
    return LoadedConfig(config, bootstrap)


def _layers(
    model: type[BaseModel],
    options: LoadOptions,
    environ: Mapping[str, str],
    config_file: Path | None,
    provider: str,
) -> _Layers:
    """Common then private layer: from core-keeper when -cp names it and it answers, else the files."""
    private = read_yaml(config_file) if config_file is not None else {}
    url = provider_url(provider)
    if url is not None:
        request = ProviderRequest(
            url,
            options.service_key,
            private,
            overwrite=_flag(environ, "EDGEX_OVERWRITE_CONFIG", options.overwrite_config),
            wait_s=_seconds(environ, "EDGEX_STARTUP_DURATION", 0.0),
            retry_interval_s=_seconds(environ, "EDGEX_STARTUP_INTERVAL", 1.0),
        )
        remote = load_layers(request, model)
        if remote is not None:
            return _Layers((remote.common, remote.private), None, remote.source, from_provider=True)
    common = _env_or(environ, "EDGEX_COMMON_CONFIG", options.common_config)
    common_path = Path(common) if common else None
    layers = (read_common_config(common_path, model),) if common_path is not None else ()
    source = "file" if url is None else "file (core-keeper unreachable)"
    return _Layers((*layers, private), common_path, source, from_provider=False)


def check_security_mode(environ: Mapping[str, str]) -> None:
    """Log the mode: anything but EDGEX_SECURITY_SECRET_STORE=false is EdgeX secure mode (the secret
    store, service JWTs; service.config.security), as go-mod-bootstrap decides it."""
    value = environ.get("EDGEX_SECURITY_SECRET_STORE")
    if value == "false":  # go-mod-bootstrap compares the exact string: "False" means secure
        return
    shown = "not set" if value is None else f"{value!r}"
    log.info("EDGEX_SECURITY_SECRET_STORE is %s: EdgeX secure mode (secret store, JWT)", shown)


def validation_issues(exc: ValidationError) -> list[str]:
    """One line per pydantic error: '<dotted key path>: <message>'."""
    issues = []
    for error in exc.errors():
        path = _dotted(error["loc"])
        if error["type"] == "extra_forbidden":
            issues.append(f"{path}: extra key")
            continue
        message = error["msg"].removeprefix("Value error, ")
        value = error.get("input")
        got = f" (got {value!r})" if isinstance(value, str | int | float | bool) else ""
        issues.append(f"{path or '<root>'}: {message}{got}")
    return issues


def _dotted(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _config_file(options: LoadOptions, environ: Mapping[str, str]) -> Path | None:
    """The private file, or None when the default one is absent (code defaults are then used)."""
    directory = _env_or(environ, "EDGEX_CONFIG_DIR", options.config_dir)
    name = _env_or(environ, "EDGEX_CONFIG_FILE", options.config_file)
    explicit = directory is not None or name is not None
    name = name or DEFAULT_CONFIG_FILE
    path = Path(name) if Path(name).is_absolute() else Path(directory or DEFAULT_CONFIG_DIR) / name
    if path.is_file():
        return path
    if explicit:
        raise ConfigError([f"{path}: configuration file not found"])
    log.info("no configuration file at %s: using built-in defaults", path)
    return None


def _flag(environ: Mapping[str, str], variable: str, flag: bool) -> bool:
    """A boolean EDGEX_* variable (EDGEX_USE_REGISTRY, EDGEX_OVERWRITE_CONFIG) beats its flag."""
    value = environ.get(variable)
    if value is None:
        return flag
    try:
        return parse_go_bool(value)
    except ValueError as exc:
        raise ConfigError([f"{variable}: {exc}"]) from exc


def _seconds(environ: Mapping[str, str], variable: str, default: float) -> float:
    """EDGEX_STARTUP_DURATION / EDGEX_STARTUP_INTERVAL: whole seconds in EdgeX (a Go duration here too)."""
    text = environ.get(variable, "").strip()
    if not text:
        return default
    try:
        return float(text) if text.replace(".", "", 1).isdigit() else parse_duration_s(text)
    except ValueError:
        raise ConfigError(
            [f"{variable}={text}: expected seconds (e.g. 60) or a duration (e.g. 1m)"]
        ) from None


def _env_or(environ: Mapping[str, str], variable: str, flag: str | None) -> str | None:
    """EDGEX_* environment variables override the corresponding flag (go-mod-bootstrap habit)."""
    value = environ.get(variable)
    if value:
        if flag is not None and flag != value:
            log.info("%s=%s overrides the command-line value %s", variable, value, flag)
        return value
    return flag
