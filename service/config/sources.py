"""Raw configuration layers: YAML files, EdgeX common configuration, and their deep merge.

A layer is a plain nested dict with EdgeX keys. Layers are merged before validation, so a later
layer overrides single keys of an earlier one (Frigate's dump-then-merge habit).
"""

from __future__ import annotations

import logging
import types
import typing
from collections.abc import Mapping
from pathlib import Path

import yaml
from pydantic import BaseModel

from service.config.errors import ConfigError

log = logging.getLogger(__name__)

RawConfig = dict[str, object]
COMMON_SECTIONS = ("all-services", "app-services")


def read_yaml(path: Path) -> RawConfig:
    """The mapping in a YAML file; an empty file is {}. Raises ConfigError naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read ({exc.strerror or exc})"]) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError([f"{path}: invalid YAML: {exc}"]) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError([f"{path}: top level must be a mapping, got {type(data).__name__}"])
    return data


def deep_merge(base: Mapping[str, object], override: Mapping[str, object]) -> RawConfig:
    """A copy of `base` with `override` merged in; mappings merge key by key, other values replace."""
    merged: RawConfig = dict(base)
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = value
    return merged


def read_common_config(path: Path, model: type[BaseModel]) -> RawConfig:
    """EdgeX common configuration file: `all-services` with `app-services` merged over it."""
    data = read_yaml(path)
    if not any(section in data for section in COMMON_SECTIONS):
        raise ConfigError([f"{path}: common configuration needs an 'all-services' or 'app-services' section"])
    return common_layer(data, model, str(path))


def common_layer(data: Mapping[str, object], model: type[BaseModel], origin: str) -> RawConfig:
    """`all-services` then `app-services` of a common configuration (file or core-keeper), merged.

    Keys app-vision does not model (Database, CORSConfiguration, NATS options, ...) are dropped, as
    EdgeX's Go structs ignore them; they are listed in one INFO line naming `origin`.
    """
    unknown_sections = sorted(set(data) - set(COMMON_SECTIONS))
    merged: RawConfig = {}
    for section in COMMON_SECTIONS:
        value = data.get(section) or {}
        if not isinstance(value, Mapping):
            raise ConfigError([f"{origin}: {section} must be a mapping"])
        merged = deep_merge(merged, value)
    dropped: list[str] = [f"{name} (section)" for name in unknown_sections]
    kept = known_subset(merged, model, "", dropped)
    if dropped:
        log.info(
            "common configuration %s: ignoring keys app-vision does not use: %s", origin, ", ".join(dropped)
        )
    return kept


def known_subset(
    data: Mapping[str, object], model: type[BaseModel], prefix: str, dropped: list[str]
) -> RawConfig:
    """The keys of `data` that `model` declares (recursively); the paths of the others go to `dropped`."""
    fields = {(info.alias or name): info.annotation for name, info in model.model_fields.items()}
    kept: RawConfig = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if key not in fields:
            dropped.append(path)
            continue
        kept[key] = _known_value(value, fields[key], path, dropped)
    return kept


def _known_value(value: object, annotation: object, path: str, dropped: list[str]) -> object:
    sub_model = model_of(annotation)
    if sub_model is not None and isinstance(value, Mapping):
        return known_subset(value, sub_model, f"{path}.", dropped)
    if typing.get_origin(annotation) is dict and isinstance(value, Mapping):
        item_model = model_of(typing.get_args(annotation)[1])
        if item_model is not None:
            return {
                key: known_subset(item, item_model, f"{path}.{key}.", dropped)
                if isinstance(item, Mapping)
                else item
                for key, item in value.items()
            }
    return value


def model_of(annotation: object) -> type[BaseModel] | None:
    """The pydantic model class in `annotation` (also inside `X | None`), else None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = model_of(arg)
            if found is not None:
                return found
    return None
