"""A camera frame as it came in (encoded bytes or decoded pixels, times, ids) and the reasons a frame
is not analysed."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray


class DropReason(StrEnum):
    """Why a frame was not analysed (label of frames_dropped_total)."""

    REPLACED = "replaced"  # a newer frame of the same camera arrived first
    STALE = "stale"  # older than MaxFrameAgeS when a worker got to it
    NO_MOTION = "no_motion"  # the motion gate found nothing worth a model run
    TOO_MANY_CAMERAS = "too_many_cameras"  # slot table full
    DECODE = "decode"  # not a readable image


@dataclass(frozen=True, slots=True)
class Frame:
    """One camera image: encoded, as it came off the bus (or from a snapshot command), or decoded, as
    a stream reader hands it on (`image` BGR uint8 HxWx3, `data` empty): the analyser decodes none."""

    camera: str
    data: bytes
    media_type: str
    origin_ns: int  # the reading's origin (capture time), nanoseconds since the epoch
    received_ns: int  # when the pipeline got it, nanoseconds since the epoch
    event_id: str = ""
    correlation_id: str = ""
    forced: bool = False  # a fusion rule asked for it: bypasses the motion gate
    image: NDArray[np.uint8] | None = None  # decoded BGR (stream frames); read-only by convention
