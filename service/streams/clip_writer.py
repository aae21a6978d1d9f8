"""Writing clip MP4s: remuxing kept packets (no re-encode), the atomic faststart MP4 file both
recorders write, and the job that writes a clip on the clip worker and reports it.

A clip is written to a hidden `.<name>.part` file beside its final path and renamed into place, so
a reader never sees half a clip; `movflags=+faststart` puts the index first, so a browser can play
the clip while it is still being served.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.container
import av.video.stream

from service.streams.clip_ring import KeptPacket
from service.streams.clip_store import ClipStore

logger = logging.getLogger(__name__)

_DEFAULT_TIME_BASE = Fraction(1, 90000)
_AVFMT_NOTIMESTAMPS = 0x0080  # libavformat/avformat.h (av.format.Flags.no_timestamps)


class ClipError(Exception):
    """A clip could not be written (nothing recorded, codec not muxable into MP4, disk)."""


class StreamTemplate:
    """A stream's codec parameters, kept after its input container is closed.

    The reader closes its input (which frees the input stream) before it says `stream_closed`, while
    clips of that stream may still be waiting to be written; so the parameters are copied at once
    into a stream of a never-started, in-memory MP4 container, which lives as long as this object.
    """

    def __init__(self, stream: av.video.stream.VideoStream) -> None:
        try:
            self._holder = av.open(io.BytesIO(), "w", format="mp4")
            # opaque: keep the decoder's codec; an encoder for it need not exist here.
            self.stream = self._holder.add_stream_from_template(stream, opaque=True)
        except (av.FFmpegError, ValueError) as exc:
            raise ClipError(f"codec {stream.codec_context.name} cannot go into an MP4 clip: {exc}") from exc
        self.codec_name = stream.codec_context.name
        self.time_base = stream.time_base or _DEFAULT_TIME_BASE
        # mpjpeg, mjpeg: frames counted at a guessed rate, not timed; the ring uses arrival times.
        self.untimed = bool(stream.container.format.flags & _AVFMT_NOTIMESTAMPS)


@contextmanager
def atomic_mp4(path: Path) -> Iterator[av.container.OutputContainer]:
    """An MP4 output container that becomes `path` when the block ends without error."""
    part = path.with_name(f".{path.name}.part")
    try:
        with av.open(str(part), "w", format="mp4", options={"movflags": "+faststart"}) as out:
            yield out
        os.replace(part, path)
    except (av.FFmpegError, OSError, ValueError) as exc:
        part.unlink(missing_ok=True)
        raise ClipError(f"cannot write clip {path.name}: {exc}") from exc
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def remux_clip(template: StreamTemplate, packets: Sequence[KeptPacket], start_s: float, path: Path) -> None:
    """Write `packets` (starting at a keyframe) to `path` as they are; playback starts at `start_s`.

    The packets start at the keyframe at or before `start_s` (wall clock), up to a GOP earlier; their
    timestamps are rebased so that the first frame that arrived from `start_s` on has pts 0. Frames
    before it get negative timestamps, which the MP4 muxer turns into an edit list: players decode
    them (the clip starts at a keyframe) but show the clip from 0, so it lasts the period asked for.
    """
    if not packets:
        raise ClipError(f"no video recorded for clip {path.name}")
    if not packets[0].keyframe:
        raise ClipError(f"clip {path.name} would not start at a keyframe")
    shown = [p.pts for p in packets if p.wallclock_s >= start_s]
    origin = min(shown) if shown else packets[0].pts
    with atomic_mp4(path) as out:
        stream = out.add_stream_from_template(template.stream, opaque=True)
        stream.time_base = packets[0].time_base  # the ring's, which may be finer than the source's
        last_dts: int | None = None
        for kept in packets:
            dts = kept.dts - origin
            if last_dts is not None and dts <= last_dts:  # the MP4 muxer refuses a dts that repeats
                dts = last_dts + 1
            packet = av.Packet(kept.data)
            packet.dts = dts
            packet.pts = max(kept.pts - origin, dts)
            packet.duration = kept.duration
            packet.time_base = kept.time_base
            packet.is_keyframe = kept.keyframe
            packet.stream = stream
            out.mux(packet)
            last_dts = dts


OnClip = Callable[[str, Path | None, Exception | None], None]


@dataclass(frozen=True, slots=True)
class ClipOutput:
    """Shared by every camera's recorder: where clips go, the worker that writes them, who hears of them.

    `on_clip(alert_id, path, None)` or `on_clip(alert_id, None, error)` is called on the executor's
    thread once per request. `max_wait_s`: real seconds past a request's end after which its clip
    is written with what came, when its source went quiet without closing.
    """

    store: ClipStore
    executor: Executor
    on_clip: OnClip
    max_wait_s: float = 10.0


def write_and_report(output: ClipOutput, alert_id: str, write: Callable[[Path], None]) -> None:
    """Run `write` to the alert's clip path, apply retention, tell `on_clip`; on the clip worker."""
    path: Path | None = None
    error: Exception | None = None
    try:
        path = output.store.target(alert_id)
        write(path)
        output.store.prune()
        if not path.is_file():
            raise ClipError(f"clip {path.name} alone is larger than the clip store's MaxBytes")
    except ClipError as exc:
        logger.warning("clip of alert %s not written: %s", alert_id, exc)
        path, error = None, exc
    except Exception as exc:  # the worker is an edge: report, never lose the callback
        logger.exception("clip of alert %s failed", alert_id)
        path, error = None, exc
    try:
        output.on_clip(alert_id, path, error)
    except Exception:
        logger.exception("on_clip failed for alert %s", alert_id)
