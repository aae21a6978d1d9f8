"""Test inputs for clips: an H.264 stream made from the bundled photos, fed to a recorder packet by packet.

The source is MPEG-TS in memory (Annex-B H.264, time base 1/90000, B-frames, a keyframe every 2 s),
as an RTSP camera delivers it. Each frame carries its index as text, so every frame is unique and a
clip's decoded frames can be matched exactly to the source frames they came from.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.container
import av.video.stream
import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from service.simulator.photos import load_photo

FPS = 10
T0 = 1_800_000_000.0  # wall clock of the source's first frame (synthetic)


@dataclass(frozen=True)
class Segment:
    photo: str
    start_s: float
    end_s: float


PERSON_SCENE = (Segment("chelsea", 0, 6), Segment("astronaut", 6, 9), Segment("coffee", 9, 20))


def encode_source(
    scene: tuple[Segment, ...], size: tuple[int, int] = (640, 480), gop: int = 20, mjpeg: bool = False
) -> bytes:
    """The scene as MPEG-TS H.264 at FPS, or as MJPEG over HTTP sends it (multipart JPEGs)."""
    photos = {s.photo: cv2.resize(load_photo(s.photo), size) for s in scene}
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mpjpeg" if mjpeg else "mpegts") as out:
        if mjpeg:
            stream = out.add_stream("mjpeg", rate=FPS)
        else:
            stream = out.add_stream("libx264", rate=FPS, options={"g": str(gop), "preset": "veryfast"})
        stream.width, stream.height = size
        stream.pix_fmt = "yuvj420p" if mjpeg else "yuv420p"
        for index in range(round(scene[-1].end_s * FPS)):
            at_s = index / FPS
            photo = next(s.photo for s in scene if s.start_s <= at_s < s.end_s)
            image = photos[photo].copy()
            cv2.putText(image, str(index), (20, 60), cv2.FONT_HERSHEY_SIMPLEX, 2, (255, 255, 255), 4)
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts, frame.time_base = index, Fraction(1, FPS)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return buffer.getvalue()


def photo_at(scene: tuple[Segment, ...], at_s: float) -> str:
    return next(s.photo for s in scene if s.start_s <= at_s < s.end_s)


class Feeder:
    """Demuxes a source and hands its packets to a sink with wall clock T0 + pts, like a reader thread."""

    def __init__(self, data: bytes, sink: Any, t0: float = T0, mjpeg: bool = False) -> None:
        self.container: av.container.InputContainer = av.open(
            io.BytesIO(data), format="mpjpeg" if mjpeg else None
        )
        self.stream: av.video.stream.VideoStream = self.container.streams.video[0]
        self._sink = sink
        self._t0 = t0
        self._count = 0
        self._mjpeg = mjpeg
        self._packets = self._demux()
        self._next: av.Packet[Any] | None = next(self._packets, None)
        self.fed: list[tuple[bytes, float, bool]] = []  # (data, wall clock, keyframe) of every packet
        sink.stream_opened(self.stream)

    def _demux(self) -> Iterator[av.Packet[Any]]:
        try:
            for packet in self.container.demux(self.stream):
                if packet.size:
                    yield packet
        except av.InvalidDataError:  # mpjpeg read from memory: the last boundary
            return

    def wall_of(self, packet: av.Packet[Any]) -> float:
        if self._mjpeg:  # MJPEG over HTTP: frames arrive at FPS, whatever the demuxer counts
            return self._t0 + self._count / FPS
        assert packet.dts is not None and packet.time_base is not None
        return self._t0 + float((packet.dts - (self.stream.start_time or 0)) * packet.time_base)

    def feed_until(self, wall_s: float = float("inf")) -> None:
        while self._next is not None and self.wall_of(self._next) <= wall_s:
            packet, wall = self._next, self.wall_of(self._next)
            self.fed.append((bytes(packet), wall, bool(packet.is_keyframe)))
            self._sink.packet(packet, wall)
            self._count += 1
            self._next = next(self._packets, None)

    def close(self) -> None:
        """Close the input first, then tell the sink (as the reader does)."""
        self.container.close()
        self._sink.stream_closed()


def decode_all(data: bytes) -> list[NDArray[np.uint8]]:
    """Every frame of an encoded video, in presentation order, as BGR."""
    with av.open(io.BytesIO(data)) as container:
        return [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]


def clip_packets(path: Path) -> list[tuple[bytes, bool]]:
    """(data, keyframe) of each packet of a clip, in decode order."""
    with av.open(str(path)) as container:
        return [(bytes(p), bool(p.is_keyframe)) for p in container.demux(video=0) if p.size]


def annexb_to_avcc(data: bytes) -> bytes:
    """Annex-B NAL units (start codes) as MP4 stores them (4-byte big-endian lengths)."""
    units = data.split(b"\x00\x00\x01")
    out = b""
    for unit in units[1:]:
        unit = unit[:-1] if unit.endswith(b"\x00") else unit  # a 4-byte start code's leading zero
        out += len(unit).to_bytes(4, "big") + unit
    return out


def top_level_boxes(path: Path) -> list[str]:
    """The MP4's top-level box types in file order (faststart: moov before mdat)."""
    data, boxes, at = path.read_bytes(), [], 0
    while at + 8 <= len(data):
        size = int.from_bytes(data[at : at + 4], "big")
        boxes.append(data[at + 4 : at + 8].decode("latin-1"))
        if size == 1:
            size = int.from_bytes(data[at + 8 : at + 16], "big")
        at += size if size else len(data)
    return boxes


def ffprobe(path: Path) -> dict[str, Any]:
    """`ffprobe -show_entries format=duration:stream=codec_name,nb_frames` of a file, as JSON."""
    binary = shutil.which("ffprobe")
    if binary is None:
        pytest.skip("ffprobe is not installed: apt-get install ffmpeg")
    command = [binary, "-v", "error", "-show_entries", "format=duration:stream=codec_name,nb_frames"]
    command += ["-show_entries", "stream=width,height,pix_fmt", "-of", "json", str(path)]
    result = subprocess.run(command, capture_output=True, text=True, check=True, timeout=30)
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def frames_of(scene_frames: list[NDArray[np.uint8]], clip_frames: list[NDArray[np.uint8]]) -> list[int]:
    """The source index of each clip frame (exact pixel match); -1 when a frame matches none."""
    keys = {frame.tobytes(): index for index, frame in enumerate(scene_frames)}
    return [keys.get(frame.tobytes(), -1) for frame in clip_frames]
