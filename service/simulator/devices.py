"""Simulated devices on the message bus, behaving like EdgeX device services would.

- camera: publishes CBOR AddEventRequests with one Binary image/jpeg reading (`jpeg`), cycling
  through real photos (with and without a person), on the device-event topic, like device-rest;
- PIR: a Bool `Motion` reading that toggles every PirEveryS seconds (device-virtual style);
- light: answers core-command bus requests itself. It subscribes to
  `<base>/core/command/request/<light>/#` and replies on `<base>/response/core-command/<requestID>`,
  standing in for core-command plus its device service, so the pipeline's ordinary bus command
  client (Clients.core-command.UseMessageBus: true) drives it with no special path. Its `Switch`
  command sets the Bool resource `SwitchButton`, and each change is published as an event.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType

from service.edgex.bus import MessageBus
from service.edgex.dtos import JsonValue, Reading, event_to_json, new_add_event_request, new_event
from service.edgex.envelope import MessageEnvelope, envelope_for_event, payload_value
from service.edgex.errors import BusUnavailable, DecodeError
from service.edgex.topics import command_response_topic, event_topic, join_topic
from service.edgex.wire_format import WireFormat
from service.pipeline.settings import SimulatorSettings
from service.simulator.photos import photo_jpeg

LOG = logging.getLogger(__name__)
SIM_SERVICE = "device-simulator"
CAMERA_PROFILE, CAMERA_SOURCE = "sim-camera", "jpeg"
PIR_PROFILE, PIR_RESOURCE = "sim-pir", "Motion"
LIGHT_PROFILE, LIGHT_COMMAND, LIGHT_RESOURCE = "sim-light", "Switch", "SwitchButton"


@dataclass(frozen=True, slots=True)
class SimulatorDeps:
    """The simulator's settings and the bus it publishes on."""

    settings: SimulatorSettings
    bus: MessageBus
    wire: WireFormat
    base_topic: str


class Simulator:
    """Starts a publishing thread (camera + PIR) and the light's command handler."""

    def __init__(self, deps: SimulatorDeps) -> None:
        self._deps = deps
        self._photos: list[tuple[str, bytes]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="simulator", daemon=True)
        self._light_on = False
        light = deps.settings.Light
        self._light_topic = join_topic(deps.base_topic, "core", "command", "request", light, "#")
        self.frames_published = 0

    @property
    def light_on(self) -> bool:
        """The simulated light's state."""
        return self._light_on

    def start(self) -> None:
        """Load the photos (SimulatorError if scikit-image is missing), then start publishing."""
        self._photos = [(name, photo_jpeg(name)) for name in self._deps.settings.Photos]
        self._deps.bus.subscribe([self._light_topic], self._on_light_request, self._on_light_error)
        self._thread.start()
        s = self._deps.settings
        LOG.info(
            "simulator: camera %s (%g fps, photos %s), PIR %s, light %s",
            s.Camera,
            s.Fps,
            ", ".join(s.Photos),
            s.Pir,
            s.Light,
        )

    def stop(self) -> None:
        """Stop publishing and answering."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        self._deps.bus.unsubscribe([self._light_topic])

    def photo_at(self, elapsed_s: float) -> tuple[str, bytes]:
        """The photo shown elapsed_s seconds after start."""
        index = int(elapsed_s / self._deps.settings.PhotoS) % len(self._photos)
        return self._photos[index]

    def _run(self) -> None:
        s = self._deps.settings
        started = time.monotonic()
        next_frame, next_pir, pir = started, started + s.PirEveryS, False
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_frame:
                next_frame += 1.0 / s.Fps
                _, jpeg = self.photo_at(now - started)
                self._publish(
                    s.Camera,
                    CAMERA_PROFILE,
                    CAMERA_SOURCE,
                    [Reading.binary(CAMERA_SOURCE, jpeg, "image/jpeg")],
                )
                self.frames_published += 1
            if now >= next_pir:
                next_pir += s.PirEveryS
                pir = not pir
                self._publish(s.Pir, PIR_PROFILE, PIR_RESOURCE, [Reading.simple(PIR_RESOURCE, "Bool", pir)])
            self._stop.wait(max(0.0, min(next_frame, next_pir) - time.monotonic()))

    def _publish(self, device: str, profile: str, source: str, readings: Sequence[Reading]) -> None:
        deps = self._deps
        req = new_add_event_request(new_event(device, profile, source, readings))
        topic = event_topic(
            deps.base_topic, SIM_SERVICE, profile, device, source, escape=deps.wire.name_field_escape
        )
        envelope = envelope_for_event(req, deps.wire.form, cbor_all_events=deps.wire.encode_all_events_cbor)
        try:
            deps.bus.publish(topic, envelope)
        except BusUnavailable as exc:
            LOG.warning("simulator: cannot publish %s/%s: %s", device, source, exc)

    def _on_light_request(self, topic: str, request: MessageEnvelope) -> None:
        levels = topic.split("/")
        command, method = levels[-2], levels[-1]
        if command != LIGHT_COMMAND:
            self._reply(request, None, f"device command {command} not found: status code: 404")
            return
        if method == "set":
            self._set_light(request)
        else:
            self._reply(request, self._light_event_response(), "")

    def _set_light(self, request: MessageEnvelope) -> None:
        try:
            value = payload_value(request)
        except DecodeError as exc:
            self._reply(request, None, f"undecodable settings: {exc}: status code: 400")
            return
        setting = value.get(LIGHT_RESOURCE) if isinstance(value, dict) else None
        if not isinstance(setting, str) or setting.lower() not in {"true", "false"}:
            self._reply(request, None, f"{LIGHT_RESOURCE} must be true or false: status code: 400")
            return
        self._light_on = setting.lower() == "true"
        LOG.info("simulator: light %s %s", self._deps.settings.Light, "on" if self._light_on else "off")
        self._reply(request, None, "")
        self._publish_light()

    def _light_event_response(self) -> JsonValue:
        reading = Reading.simple(LIGHT_RESOURCE, "Bool", self._light_on)
        event = new_event(self._deps.settings.Light, LIGHT_PROFILE, LIGHT_COMMAND, [reading])
        return {"apiVersion": "v3", "statusCode": 200, "event": event_to_json(event)}

    def _publish_light(self) -> None:
        reading = Reading.simple(LIGHT_RESOURCE, "Bool", self._light_on)
        self._publish(self._deps.settings.Light, LIGHT_PROFILE, LIGHT_COMMAND, [reading])

    def _reply(self, request: MessageEnvelope, payload: JsonValue, error: str) -> None:
        reply = MessageEnvelope(
            correlation_id=request.correlation_id,
            request_id=request.request_id,
            error_code=1 if error else 0,
            payload=error if error else payload,
            content_type="text/plain" if error else "application/json",
            query_params=MappingProxyType({}),
        )
        topic = command_response_topic(self._deps.base_topic, request.request_id)
        try:
            self._deps.bus.publish(topic, reply)
        except BusUnavailable as exc:
            LOG.warning("simulator: cannot answer command %s: %s", request.request_id, exc)

    def _on_light_error(self, topic: str, exc: Exception) -> None:
        LOG.warning("simulator: undecodable command on %s: %s", topic, exc)
