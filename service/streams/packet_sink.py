"""PacketSink: what a reader hands every demuxed video packet to (the clip recorder implements it)."""

from __future__ import annotations

from typing import Any, Protocol

import av
import av.video.stream


class PacketSink(Protocol):
    """Called on the reader's thread; a sink that raises is logged and counted, the reader goes on."""

    def stream_opened(self, stream: av.video.stream.VideoStream) -> None: ...

    # Every demuxed video packet, before decode. Packet is generic in PyAV's stubs; Any keeps
    # `av.Packet` and `av.Packet[VideoStream]` implementations both structurally compatible.
    def packet(self, packet: av.Packet[Any], wallclock_s: float) -> None: ...

    def stream_closed(self) -> None: ...
