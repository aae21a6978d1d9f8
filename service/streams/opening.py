"""Opening a stream with PyAV: per-kind FFmpeg options, timeouts, and the video stream to read.

HTTP needs no format hint: FFmpeg scores a `multipart/x-mixed-replace` content type for its
mpjpeg demuxer, and probes anything else (an MP4 or a single JPEG over HTTP).
"""

from __future__ import annotations

from dataclasses import dataclass

import av
import av.container
import av.video.stream
from av.codec.hwaccel import HWAccel

from service.streams.errors import NoDecoder, NoVideoStream, StreamOpenError
from service.streams.settings import StreamSettings
from service.streams.uri import StreamKind, classify_uri, file_path, redact

# How long FFmpeg may read to learn the stream's parameters. RTSP's SDP usually carries them, and
# every probed packet reaches us late at once, so keep it short (FFmpeg's default is 5 s).
_ANALYZE_US = 500_000


@dataclass(frozen=True, slots=True)
class OpenedStream:
    """An open input, its video stream and the kind of source."""

    container: av.container.InputContainer
    stream: av.video.stream.VideoStream
    kind: StreamKind

    def close(self) -> None:
        self.container.close()


def ffmpeg_options(kind: StreamKind, uri: str, settings: StreamSettings) -> dict[str, str]:
    """Container options for av.open."""
    stall_us = str(round(settings.StallS * 1e6))
    if kind is StreamKind.RTSP:
        # rtsps runs over TLS on the RTSP connection: interleaved TCP only.
        transport = "tcp" if uri.lower().startswith("rtsps:") else settings.Transport
        return {"rtsp_transport": transport, "timeout": stall_us, "analyzeduration": str(_ANALYZE_US)}
    if kind is StreamKind.MJPEG:
        return {"rw_timeout": stall_us, "analyzeduration": str(_ANALYZE_US)}
    return {}


def open_stream(uri: str, settings: StreamSettings, hwaccel: HWAccel | None = None) -> OpenedStream:
    """Open uri (credentials already in it) within OpenTimeoutS; reads time out after StallS.

    Errors are re-raised without their cause: FFmpeg's messages and PyAV's exceptions carry the URI
    with its credentials, and a chained traceback would print them.
    """
    try:
        kind = classify_uri(uri)
    except ValueError as exc:
        raise StreamOpenError(str(exc)) from None
    target = file_path(uri) if kind is StreamKind.FILE else uri
    try:
        container = av.open(
            target,
            options=ffmpeg_options(kind, uri, settings),
            timeout=(settings.OpenTimeoutS, settings.StallS),
            hwaccel=hwaccel,
        )
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise StreamOpenError(redact(f"cannot open {uri}: {exc}")) from None
    try:
        return OpenedStream(container, _video_stream(container, uri), kind)
    except (NoVideoStream, NoDecoder):
        container.close()
        raise


def _video_stream(container: av.container.InputContainer, uri: str) -> av.video.stream.VideoStream:
    if not container.streams.video:
        raise NoVideoStream(redact(f"no video stream in {uri}"))
    stream = container.streams.video[0]
    if stream.codec_context is None:
        raise NoDecoder(redact(f"the video codec of {uri} has no decoder in this FFmpeg"))
    return stream
