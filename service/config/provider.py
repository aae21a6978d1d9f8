"""Configuration from core-keeper's KV store (`-cp keeper.http://host:59890`, EDGEX_CONFIG_PROVIDER).

As go-mod-bootstrap does in EdgeX 4: the common layer comes from the keys core-common-config-
bootstrapper wrote (`edgex/v4/core-common-config-bootstrapper/{all-services,app-services}`), the
private layer from `edgex/v4/<service-key>/...`. When the service's tree is absent (first start),
or EDGEX_OVERWRITE_CONFIG / -o asks for it, the private file is pushed into KV and used as is.
KV values are text (`"59760"`, `"true"`, lists as JSON text): `typed_tree` converts them to the
field types of the model before the environment overrides run. When keeper cannot be reached
within EDGEX_STARTUP_DURATION seconds (default 0: one attempt) the loader falls back to the files.
"""

from __future__ import annotations

import json
import logging
import time
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import BaseModel

from service.config.env import convert
from service.config.errors import ConfigError
from service.config.sources import COMMON_SECTIONS, RawConfig, common_layer, model_of
from service.edgex.clients import HttpPeer
from service.edgex.errors import PeerError
from service.edgex.event_types import JsonValue
from service.edgex.keeper import COMMON_CONFIG_KEY, CONFIG_STEM, KeeperClient, ProviderUrl, parse_provider_url

log = logging.getLogger(__name__)

NO_PROVIDER = {"", "none"}
KEEPER_TIMEOUT_S = 3.0
_SCALAR_SAMPLES: dict[object, object] = {bool: False, int: 0, float: 0.0}


@dataclass(frozen=True, slots=True)
class ProviderRequest:
    """What the loader asks of the provider."""

    url: ProviderUrl
    service_key: str
    private_file: RawConfig  # the private file's tree ({} without a file); pushed on first start
    overwrite: bool
    wait_s: float = 0.0
    retry_interval_s: float = 1.0


@dataclass(frozen=True, slots=True)
class ProviderLayers:
    """The common and private layers read from core-keeper (values already typed)."""

    common: RawConfig
    private: RawConfig
    source: str  # for `config check` and the start-up log, e.g. "core-keeper (pushed the file)"


def provider_url(text: str) -> ProviderUrl | None:
    """The parsed -cp / EDGEX_CONFIG_PROVIDER value; None for '' or 'none'; ConfigError otherwise."""
    if text.strip().lower() in NO_PROVIDER:
        return None
    try:
        return parse_provider_url(text.strip())
    except ValueError as exc:
        raise ConfigError([f"EDGEX_CONFIG_PROVIDER / -cp: {exc}"]) from None


def load_layers(request: ProviderRequest, model: type[BaseModel]) -> ProviderLayers | None:
    """Both layers from keeper, or None (logged at WARNING) when keeper cannot be used."""
    url = request.url
    peer = HttpPeer(url.peer(KEEPER_TIMEOUT_S))
    where = f"{url.protocol}://{url.host}:{url.port}"
    try:
        client = KeeperClient(peer, request.service_key)
        if not _reachable(client, request):
            log.warning(
                "core-keeper at %s is unreachable (waited %.0f s; EDGEX_STARTUP_DURATION): "
                "falling back to the configuration files",
                where,
                request.wait_s,
            )
            return None
        return _read_layers(client, request, model)
    except PeerError as exc:
        log.warning("core-keeper at %s failed (%s): falling back to the configuration files", where, exc)
        return None
    finally:
        peer.close()


def _reachable(client: KeeperClient, request: ProviderRequest) -> bool:
    deadline = time.monotonic() + request.wait_s
    while not client.ping():
        if time.monotonic() >= deadline:
            return False
        time.sleep(request.retry_interval_s)
    return True


def _read_layers(client: KeeperClient, request: ProviderRequest, model: type[BaseModel]) -> ProviderLayers:
    common_key = f"{CONFIG_STEM}/{COMMON_CONFIG_KEY}"
    try:
        bootstrapper = client.read(common_key)
    except ValueError as exc:
        raise ConfigError([f"core-keeper {common_key}: {exc}"]) from None
    if str(bootstrapper.get("IsCommonConfigReady", "")).lower() != "true":
        log.warning(
            "core-keeper has no common configuration (%s/IsCommonConfigReady is not true)", common_key
        )
    sections = {name: bootstrapper[name] for name in COMMON_SECTIONS if name in bootstrapper}
    common = typed_tree(model, common_layer(sections, model, f"core-keeper {common_key}"))
    if request.overwrite or not client.has_configuration():
        reason = "EDGEX_OVERWRITE_CONFIG" if request.overwrite else "first start"
        if request.private_file:
            client.push_configuration(typing.cast(Mapping[str, JsonValue], request.private_file))
        log.info("configuration: %s; the private file is used and stored in core-keeper", reason)
        return ProviderLayers(common, dict(request.private_file), f"core-keeper ({reason}: file pushed)")
    try:
        private = client.configuration()
    except ValueError as exc:
        raise ConfigError([f"core-keeper {client.base_key}: {exc}"]) from None
    log.info("configuration read from core-keeper %s", client.base_key)
    return ProviderLayers(common, typed_tree(model, private), "core-keeper")


def typed_tree(model: type[BaseModel], tree: Mapping[str, object]) -> RawConfig:
    """`tree` with KV text leaves converted to `model`'s field types (unknown keys left as they are).

    Only text becomes bool, int or float (as the field declares); other text stays text, lists of
    text accept EdgeX's comma form, and JSON values (decoded lists) pass unchanged, so pydantic's
    validation still reports any value that does not fit, with its key path.
    """
    fields = {(info.alias or name): info.annotation for name, info in model.model_fields.items()}
    return {key: typed_value(fields[key], value) if key in fields else value for key, value in tree.items()}


def typed_value(annotation: object, value: object) -> object:
    """One value converted by its annotation (see `typed_tree`)."""
    sub_model = model_of(annotation)
    if isinstance(value, Mapping):
        if sub_model is not None:
            return typed_tree(sub_model, value)
        item = _dict_item(annotation)
        return {key: typed_value(item, child) for key, child in value.items()}
    if isinstance(value, str):
        return _typed_text(annotation, value)
    return value


def _dict_item(annotation: object) -> object:
    for candidate in _alternatives(annotation):
        if typing.get_origin(candidate) is dict:
            return typing.get_args(candidate)[1]
    return object


def _typed_text(annotation: object, text: str) -> object:
    """Text converted to the first scalar type the annotation allows (str allowed: text kept)."""
    alternatives = _alternatives(annotation)
    if str in alternatives or any(_is_str_literal(a) for a in alternatives):
        return text
    for candidate in alternatives:
        origin = typing.get_origin(candidate)
        if origin in (list, tuple, set, frozenset):
            return convert(text, [])
        if candidate in _SCALAR_SAMPLES:
            try:
                return convert(text, _SCALAR_SAMPLES[candidate])
            except ValueError:
                continue
        if candidate in (object, typing.Any):
            return _json_or_text(text)
    return text


def _alternatives(annotation: object) -> list[object]:
    """The members of a union (without None), Annotated unwrapped; [annotation] otherwise."""
    if typing.get_origin(annotation) is typing.Annotated:
        return _alternatives(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        found: list[object] = []
        for arg in typing.get_args(annotation):
            if arg is not type(None):
                found += _alternatives(arg)
        return found
    return [annotation]


def _is_str_literal(annotation: object) -> bool:
    return typing.get_origin(annotation) is typing.Literal and any(
        isinstance(value, str) for value in typing.get_args(annotation)
    )


def _json_or_text(text: str) -> object:
    try:
        return typing.cast(object, json.loads(text))
    except ValueError:
        return text
