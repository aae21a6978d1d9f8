"""Choosing hardware decode (VAAPI, QSV) for a codec, or software with the reason why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import av
from av.codec import Codec
from av.codec.hwaccel import HWAccel, hwdevices_available

HwAccelMode = Literal["auto", "none", "vaapi", "qsv"]
_CANDIDATES: dict[HwAccelMode, tuple[str, ...]] = {
    "auto": ("vaapi", "qsv"),
    "none": (),
    "vaapi": ("vaapi",),
    "qsv": ("qsv",),
}


@dataclass(frozen=True, slots=True)
class HwChoice:
    """hwaccel for av.open (None = software), its device type, and why software when it is."""

    hwaccel: HWAccel | None
    device: str
    software_reason: str


def choose_hwaccel(mode: HwAccelMode, codec_name: str) -> HwChoice:
    """The first candidate device that can decode codec_name here; creating it is the only real test
    (a device type in the build says nothing of /dev/dri or the driver)."""
    if mode == "none":
        return HwChoice(None, "", "HwAccel is none")
    available = hwdevices_available()
    reasons = []
    for device in _CANDIDATES[mode]:
        if device not in available:
            reasons.append(f"{device}: not in this FFmpeg build (it has {', '.join(available) or 'none'})")
            continue
        try:
            HWAccel(device).create(Codec(codec_name, "r"))
        except (av.FFmpegError, OSError, NotImplementedError, RuntimeError, ValueError) as exc:
            reasons.append(f"{device}: {exc}")
            continue
        return HwChoice(HWAccel(device, allow_software_fallback=True), device, "")
    return HwChoice(None, "", "; ".join(reasons))
