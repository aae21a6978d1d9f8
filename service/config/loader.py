"""Builds the configuration as EdgeX does: code defaults <- common config <- private file <- env.

Layers (later wins): the model's defaults, the common configuration file (-cc / EDGEX_COMMON_CONFIG:
`all-services` then `app-services`), the private file (-cd/-cf, EDGEX_CONFIG_DIR/EDGEX_CONFIG_FILE,
default ./res/configuration.yaml), an optional overlay (`app-vision demo`), then environment
overrides (service.config.env). As in go-mod-bootstrap, an EDGEX_* variable beats its flag.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError

from service.config.env import EnvOverride, apply_env_overrides
from service.config.errors import ConfigError, UnsupportedModeError
from service.config.redact import redact
from service.config.sources import RawConfig, deep_merge, read_common_config, read_yaml

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
DEFAULT_CONFIG_DIR = "res"
DEFAULT_CONFIG_FILE = "configuration.yaml"
DEMO_OVERLAY: Mapping[str, object] = {
    "MessageBus": {"Type": "memory"},
    "AppCustom": {"Pipeline": {"Simulator": {"Enabled": True}}},
}
"""`app-vision demo`: the in-process memory bus plus the simulated camera, PIR and light."""


@dataclass(frozen=True, slots=True)
class LoadOptions:
    """Command-line choices (-cd, -cf, -cc, -r, -cp) and an optional overlay."""

    config_dir: str | None = None
    config_file: str | None = None
    common_config: str | None = None
    use_registry: bool = False
    config_provider: str | None = None
    overlay: Mapping[str, object] | None = None


@dataclass(frozen=True, slots=True)
class Bootstrap:
    """Where the configuration came from, and the bootstrap choices other parts act on."""

    config_file: Path | None
    common_config: Path | None
    use_registry: bool
    config_provider: str
    env_overrides: tuple[EnvOverride, ...]


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
    config_file = _config_file(options, environ)
    common = _env_or(environ, "EDGEX_COMMON_CONFIG", options.common_config)
    common_path = Path(common) if common else None
    data: RawConfig = model().model_dump(by_alias=True, mode="json")
    if common_path is not None:
        data = deep_merge(data, read_common_config(common_path, model))
    if config_file is not None:
        data = deep_merge(data, read_yaml(config_file))
    if options.overlay:
        data = deep_merge(data, options.overlay)
    data, applied = apply_env_overrides(data, environ)
    try:
        config = model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(validation_issues(exc)) from exc
    bootstrap = Bootstrap(
        config_file=config_file,
        common_config=common_path,
        use_registry=_use_registry(options, environ),
        config_provider=_env_or(environ, "EDGEX_CONFIG_PROVIDER", options.config_provider) or "",
        env_overrides=applied,
    )
    return LoadedConfig(config, bootstrap)


def check_security_mode(environ: Mapping[str, str]) -> None:
    """EdgeX: anything but EDGEX_SECURITY_SECRET_STORE=false means secure mode, which app-vision lacks.

    Unset is taken as insecure (a developer running the service by hand), with an INFO line.
    """
    value = environ.get("EDGEX_SECURITY_SECRET_STORE")
    if value is None:
        log.info(
            "EDGEX_SECURITY_SECRET_STORE is not set: running in insecure mode (Writable.InsecureSecrets)"
        )
        return
    if value.strip().lower() != "false":
        raise UnsupportedModeError(
            [
                f"EDGEX_SECURITY_SECRET_STORE={value}: EdgeX secure mode (secret store, JWT) is not "
                "supported by app-vision; run the stack non-secure and set EDGEX_SECURITY_SECRET_STORE=false"
            ]
        )


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


def _use_registry(options: LoadOptions, environ: Mapping[str, str]) -> bool:
    value = environ.get("EDGEX_USE_REGISTRY")
    if value is None:
        return options.use_registry
    return value.strip().lower() in {"1", "t", "true", "yes"}


def _env_or(environ: Mapping[str, str], variable: str, flag: str | None) -> str | None:
    """EDGEX_* environment variables override the corresponding flag (go-mod-bootstrap habit)."""
    value = environ.get(variable)
    if value:
        if flag is not None and flag != value:
            log.info("%s=%s overrides the command-line value %s", variable, value, flag)
        return value
    return flag
