"""Stream sources: one StreamReader per camera with a Stream, feeding the same intake as bus frames.

Each reader hands its frames on at Stream.DetectFps, decoded: they become `Frame`s with `image`
set (no bytes, nothing to decode again) and go to the frame intake (the camera table's put_frame),
so the latest-frame slot, the motion gate, the models and the rules treat them as any frame. Every
encoded packet goes to the camera's packet sink (its clip recorder), every health change to
`on_health`. start() starts the readers; stop() stops them all, within a shared deadline.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from service.pipeline.ingest.frame import Frame
from service.pipeline.settings import PipelineSettings
from service.streams.decoded_frame import DecodedFrame
from service.streams.health import HealthSnapshot, OnHealthChange
from service.streams.packet_sink import PacketSink
from service.streams.reader import StreamReader
from service.streams.settings import StreamSettings

LOG = logging.getLogger(__name__)
STOP_TIMEOUT_S = 2.0


@dataclass(frozen=True, slots=True)
class StreamSourceDeps:
    """What the readers feed and ask."""

    settings: PipelineSettings
    uri_for: Callable[[str, StreamSettings], Callable[[], str]]  # camera, settings -> URI provider
    intake: Callable[[Frame], None]  # the camera table's put_frame
    sink_for: Callable[[str], PacketSink | None]  # a camera's clip recorder
    on_health: OnHealthChange
    clock: Callable[[], float] = time.time


def stream_frame(decoded: DecodedFrame, received_ns: int) -> Frame:
    """A reader's decoded frame as the pipeline's Frame (image set, no encoded bytes)."""
    return Frame(
        decoded.camera,
        b"",
        "",
        decoded.origin_ns,
        received_ns,
        event_id=f"{decoded.camera}#{decoded.sequence}",
        image=decoded.image,
    )


class StreamSources:
    """The readers of every stream camera; health is read from any thread."""

    def __init__(self, deps: StreamSourceDeps) -> None:
        self._deps = deps
        self._readers: dict[str, StreamReader] = {}
        for name, device in sorted(deps.settings.Devices.items()):
            if device.Role == "camera" and device.Stream is not None:
                self._readers[name] = StreamReader(
                    name,
                    device.Stream,
                    deps.uri_for(name, device.Stream),
                    self._hand_on,
                    deps.sink_for(name),
                    deps.on_health,
                    wall_clock=deps.clock,
                )

    @property
    def cameras(self) -> tuple[str, ...]:
        """The stream cameras, by name."""
        return tuple(self._readers)

    def health(self, camera: str) -> HealthSnapshot | None:
        """A stream camera's health now (None for a camera without a stream)."""
        reader = self._readers.get(camera)
        return reader.health if reader is not None else None

    def healths(self) -> list[HealthSnapshot]:
        """Every stream camera's health now, by name."""
        return [reader.health for reader in self._readers.values()]

    def start(self) -> None:
        """Start every reader."""
        for reader in self._readers.values():
            reader.start()
        if self._readers:
            LOG.info("reading %d camera stream(s): %s", len(self._readers), ", ".join(self._readers))

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        """Stop every reader (each is asked at once; all share one deadline)."""
        readers = list(self._readers.values())
        for reader in readers:
            reader.stop(timeout_s=0)
        deadline = time.monotonic() + timeout_s
        for reader in readers:
            if not reader.stop(timeout_s=max(0.0, deadline - time.monotonic())):
                LOG.error("camera %s: stream reader did not stop within %.1f s", reader.camera, timeout_s)

    def _hand_on(self, decoded: DecodedFrame) -> None:
        self._deps.intake(stream_frame(decoded, round(self._deps.clock() * 1e9)))
