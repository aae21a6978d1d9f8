"""core-command clients: issue get/set device commands over REST or over the message bus.

Both return a CommandResult. A command the peer refuses (unknown device, bad value, device
error) is a normal outcome: `ok=False` with the status and EdgeX's message. A peer that cannot be
reached or does not answer in time raises PeerUnavailable, which the caller may retry.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Protocol

from service.edgex.clients import HttpPeer, path_segment
from service.edgex.envelope import MessageEnvelope
from service.edgex.errors import BusUnavailable, DecodeError, PeerRejected, PeerUnavailable, RequestTimeout
from service.edgex.event_codec import JSON, decode_event_payload
from service.edgex.event_types import Event, JsonValue
from service.edgex.topics import command_request_topic, command_response_topic

logger = logging.getLogger(__name__)

CORE_COMMAND = "core-command"
_STATUS_IN_TEXT = re.compile(r"status code: (\d{3})")


@dataclass(frozen=True, slots=True)
class CommandResult:
    """Outcome of one command: ok, HTTP-like status, EdgeX message, latency, event (GET only)."""

    ok: bool
    status: int
    message: str
    latency_s: float
    event: Event | None = None
    correlation_id: str = ""


class CommandClient(Protocol):
    """What the pipeline needs from core-command, whatever the transport."""

    def get(
        self,
        device: str,
        command: str,
        *,
        push_event: bool = False,
        return_event: bool = True,
        query: Mapping[str, str] | None = None,
    ) -> CommandResult: ...

    def set(self, device: str, command: str, settings: Mapping[str, JsonValue]) -> CommandResult: ...


def _flags(push_event: bool, return_event: bool, query: Mapping[str, str] | None) -> dict[str, str]:
    params = dict(query or {})
    params["ds-pushevent"] = "true" if push_event else "false"
    params["ds-returnevent"] = "true" if return_event else "false"
    return params


def _failed(status: int, message: str, latency_s: float, correlation_id: str) -> CommandResult:
    """A command the peer refused, or whose reply could not be decoded (no event)."""
    return CommandResult(False, status, message, latency_s, correlation_id=correlation_id)


def _event_of(payload: JsonValue | bytes, content_type: str) -> Event | None:
    """The event inside an EventResponse, None when the reply carries none (ds-returnevent=false)."""
    if payload is None or (isinstance(payload, dict) and payload.get("event") is None):
        return None
    return decode_event_payload(payload, content_type).event


class RestCommandClient:
    """`GET|PUT /api/v3/device/name/{device}/{command}` on core-command (port 59882)."""

    def __init__(self, peer: HttpPeer) -> None:
        self._peer = peer

    def get(
        self,
        device: str,
        command: str,
        *,
        push_event: bool = False,
        return_event: bool = True,
        query: Mapping[str, str] | None = None,
    ) -> CommandResult:
        """Read command; the reply's EventResponse event is decoded into `event`."""
        return self._call("GET", device, command, None, _flags(push_event, return_event, query))

    def set(self, device: str, command: str, settings: Mapping[str, JsonValue]) -> CommandResult:
        """Write command with a SettingRequest body ({resource: value-string})."""
        return self._call("PUT", device, command, dict(settings), None)

    def _call(
        self, method: str, device: str, command: str, body: JsonValue, params: dict[str, str] | None
    ) -> CommandResult:
        correlation_id = str(uuid.uuid4())
        path = f"/device/name/{path_segment(device)}/{path_segment(command)}"
        started = time.monotonic()
        try:
            reply = self._peer.call(method, path, body=body, params=params, correlation_id=correlation_id)
        except PeerRejected as exc:
            return _failed(exc.status, exc.message, time.monotonic() - started, correlation_id)
        latency_s = time.monotonic() - started
        try:
            event = _event_of(reply.body, JSON) if method == "GET" else None
        except DecodeError as exc:
            return _failed(502, f"undecodable event in reply: {exc}", latency_s, correlation_id)
        return CommandResult(True, reply.status, "", latency_s, event, correlation_id)


class RequestBus(Protocol):
    """The one MessageBus method the bus command client needs."""

    def request(
        self, request_topic: str, envelope: MessageEnvelope, response_topic: str, timeout_s: float
    ) -> MessageEnvelope: ...


@dataclass(frozen=True, slots=True)
class BusCommandSettings:
    """Base topic prefix, request timeout and name escaping for commands over the bus."""

    base_topic: str = "edgex"
    timeout_s: float = 5.0
    escape_names: bool = False


class BusCommandClient:
    """Request on `edgex/core/command/request/<device>/<command>/<get|set>`, reply on
    `edgex/response/core-command/<requestID>` (GMM clients/command.go)."""

    def __init__(self, bus: RequestBus, settings: BusCommandSettings) -> None:
        self._bus = bus
        self._settings = settings

    def get(
        self,
        device: str,
        command: str,
        *,
        push_event: bool = False,
        return_event: bool = True,
        query: Mapping[str, str] | None = None,
    ) -> CommandResult:
        """Read command; the EventResponse (nested JSON, or CBOR bytes for Binary) is decoded."""
        return self._call(device, command, "get", None, _flags(push_event, return_event, query))

    def set(self, device: str, command: str, settings: Mapping[str, JsonValue]) -> CommandResult:
        """Write command; the settings map is the payload; a success reply has a null payload."""
        return self._call(device, command, "set", dict(settings), {})

    def _call(
        self, device: str, command: str, method: str, payload: JsonValue, params: dict[str, str]
    ) -> CommandResult:
        s = self._settings
        request_id, correlation_id = str(uuid.uuid4()), str(uuid.uuid4())
        envelope = MessageEnvelope(
            correlation_id=correlation_id,
            request_id=request_id,
            payload=payload,
            content_type=JSON,
            query_params=MappingProxyType(params),
        )
        topic = command_request_topic(s.base_topic, device, command, method, escape=s.escape_names)
        started = time.monotonic()
        try:
            reply = self._bus.request(
                topic, envelope, command_response_topic(s.base_topic, request_id), s.timeout_s
            )
        except (RequestTimeout, BusUnavailable) as exc:
            raise PeerUnavailable(CORE_COMMAND, f"{method} {device}/{command} over the bus: {exc}") from exc
        except DecodeError as exc:
            return _failed(502, f"undecodable reply: {exc}", time.monotonic() - started, correlation_id)
        return _bus_result(reply, method, time.monotonic() - started, correlation_id)


def _bus_result(reply: MessageEnvelope, method: str, latency_s: float, correlation_id: str) -> CommandResult:
    if reply.is_error:
        text = reply.payload if isinstance(reply.payload, str) else repr(reply.payload)
        found = _STATUS_IN_TEXT.search(text)
        return _failed(int(found.group(1)) if found else 500, text, latency_s, correlation_id)
    status = 200
    code = reply.payload.get("statusCode") if isinstance(reply.payload, dict) else None
    if isinstance(code, int) and not isinstance(code, bool):
        status = code
    try:
        event = _event_of(reply.payload, reply.content_type) if method == "get" else None
    except DecodeError as exc:
        return _failed(502, f"undecodable event in reply: {exc}", latency_s, correlation_id)
    return CommandResult(status < 400, status, "", latency_s, event, correlation_id)
