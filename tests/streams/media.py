"""Test videos made with PyAV from the bundled photos: N s without a person, then M s with one.

Every frame carries its index in a strip of 16 black/white blocks along the top (`frame_index`
reads it back), so a test can tell which source frames a reader handed on. Files:

- `h264_mp4`: 640x480 H.264 (libx264, yuv420p, GOP 1 s, no B-frames, as cameras send), 10 FPS;
- `h264_bframes_mp4`: the same with B-frames (non-reference frames the reader can skip);
- `h264_units`: the same stream as Annex-B access units for the RTSP server script: records of
  4-byte big-endian length, 1 flag byte (1 = keyframe), payload; SPS/PPS repeated on keyframes;
- `mjpeg_avi`: the frames as MJPEG in AVI; `jpeg_frames`: the same as JPEG bytes (HTTP server);
- `unknown_codec_avi`: `mjpeg_avi` with its fourcc renamed, a codec FFmpeg has no decoder for.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from numpy.typing import NDArray

from service.simulator.photos import load_photo

WIDTH, HEIGHT, FPS = 640, 480, 10
EMPTY_PHOTO, PERSON_PHOTO = "coffee", "astronaut"
_BITS, _BLOCK_W, _BLOCK_H = 16, WIDTH // 16, 16


@dataclass(frozen=True)
class Media:
    """The videos of one session (see the module docstring)."""

    empty_s: float
    person_s: float
    fps: int
    h264_mp4: Path
    h264_bframes_mp4: Path
    h264_units: Path
    mjpeg_avi: Path
    unknown_codec_avi: Path
    jpeg_frames: tuple[bytes, ...]

    @property
    def frame_count(self) -> int:
        return round((self.empty_s + self.person_s) * self.fps)

    def has_person(self, index: int) -> bool:
        """Whether source frame `index` (modulo the loop) shows the person photo."""
        return index % self.frame_count >= round(self.empty_s * self.fps)


def frame_index(image: NDArray[np.uint8]) -> int:
    """The index drawn into a frame by `source_frames` (robust to compression)."""
    strip = image[2 : _BLOCK_H - 2].mean(axis=(0, 2))
    bits = [strip[i * _BLOCK_W + 4 : (i + 1) * _BLOCK_W - 4].mean() > 128 for i in range(_BITS)]
    return sum(1 << i for i, bit in enumerate(bits) if bit)


def source_frames(empty_s: float, person_s: float, fps: int = FPS) -> list[NDArray[np.uint8]]:
    """BGR frames: the empty photo, then the person photo, each with its index strip."""
    empty, person = load_photo(EMPTY_PHOTO), load_photo(PERSON_PHOTO)
    frames = []
    for index in range(round((empty_s + person_s) * fps)):
        frame = (person if index >= round(empty_s * fps) else empty).copy()
        for bit in range(_BITS):
            value = 255 if index >> bit & 1 else 0
            frame[:_BLOCK_H, bit * _BLOCK_W : (bit + 1) * _BLOCK_W] = value
        frames.append(frame)
    return frames


def _encode_h264(frames: list[NDArray[np.uint8]], path: Path, fps: int, bframes: int) -> None:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.codec_context.thread_count = 1  # one slice per picture, as most cameras send
        stream.options = {"g": str(fps), "keyint_min": str(fps), "bf": str(bframes), "preset": "veryfast"}
        for frame in frames:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="bgr24")))
        out.mux(stream.encode(None))


def _write_units(frames: list[NDArray[np.uint8]], path: Path, fps: int) -> None:
    codec = av.CodecContext.create("libx264", "w")
    codec.width, codec.height, codec.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    codec.thread_count = 1  # one slice per picture: h264parse puts SPS/PPS before every IDR slice
    codec.time_base = Fraction(1, fps)
    codec.framerate = Fraction(fps, 1)
    codec.options = {
        "g": str(fps),
        "keyint_min": str(fps),
        "bf": "0",
        "preset": "veryfast",
        "repeat-headers": "1",
    }
    packets = []
    for index, frame in enumerate(frames):
        video = av.VideoFrame.from_ndarray(frame, format="bgr24")
        video.pts = index
        packets += codec.encode(video)
    packets += codec.encode(None)
    with path.open("wb") as out:
        for packet in packets:
            payload = bytes(packet)
            out.write(struct.pack(">IB", len(payload), 1 if packet.is_keyframe else 0) + payload)


def _write_mjpeg(jpegs: tuple[bytes, ...], path: Path, fps: int) -> None:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mjpeg", rate=fps)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuvj420p"
        for index, jpeg in enumerate(jpegs):
            packet = av.Packet(jpeg)
            packet.stream = stream
            packet.time_base = Fraction(1, fps)
            packet.pts = packet.dts = index
            packet.is_keyframe = True
            out.mux(packet)


def build_media(directory: Path, empty_s: float, person_s: float, fps: int = FPS) -> Media:
    """Write every file of `Media` into directory."""
    frames = source_frames(empty_s, person_s, fps)
    jpegs = tuple(
        bytes(cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes()) for frame in frames
    )
    media = Media(
        empty_s=empty_s,
        person_s=person_s,
        fps=fps,
        h264_mp4=directory / "camera.mp4",
        h264_bframes_mp4=directory / "camera-bframes.mp4",
        h264_units=directory / "camera.h264units",
        mjpeg_avi=directory / "camera-mjpeg.avi",
        unknown_codec_avi=directory / "camera-unknown.avi",
        jpeg_frames=jpegs,
    )
    _encode_h264(frames, media.h264_mp4, fps, bframes=0)
    _encode_h264(frames, media.h264_bframes_mp4, fps, bframes=2)
    _write_units(frames, media.h264_units, fps)
    _write_mjpeg(jpegs, media.mjpeg_avi, fps)
    data = media.mjpeg_avi.read_bytes()
    header_end = data.index(b"movi")
    media.unknown_codec_avi.write_bytes(data[:header_end].replace(b"MJPG", b"ZZ9Q") + data[header_end:])
    return media
