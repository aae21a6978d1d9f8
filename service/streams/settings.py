"""Strict settings of one camera's video stream (where it comes from, rates, timeouts, decoding)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from service.streams.uri import StreamKind, classify_uri, redact
from service.strict import StrictModel


class StreamSettings(StrictModel):
    """A camera read as a video stream; with Source onvif/usb the URI is asked of EdgeX at connect time.

    A Uri may hold credentials (SecretName is the better place): validation errors do not echo
    input values, and the repr redacts them.
    """

    model_config = ConfigDict(**StrictModel.model_config, hide_input_in_errors=True)

    Uri: str = Field(
        default="",
        description="rtsp://, rtsps://, http(s):// MJPEG, a file path or file://; empty when EdgeX is asked.",
    )
    Source: Literal["config", "onvif", "usb"] = Field(
        default="config", description="config: Uri as written; onvif/usb: the device service's stream URI."
    )
    ProfileToken: str = Field(default="profile_1", min_length=1, description="ONVIF media profile token.")
    SecretName: str = Field(
        default="", description="Secret with username/password put into the URI; '' = none."
    )
    Transport: Literal["tcp", "udp"] = Field(default="tcp", description="RTSP transport.")
    DetectFps: float = Field(default=5, gt=0, le=60, description="Frames per second handed on for analysis.")
    StallS: float = Field(
        default=5, gt=0, le=3600, description="No packet (or no frame) this long = stalled."
    )
    OfflineAfterS: float = Field(
        default=15, gt=0, le=86400, description="Reconnect failing this long = offline."
    )
    BackoffInitialS: float = Field(default=0.5, gt=0, le=3600, description="First reconnect delay.")
    BackoffMaxS: float = Field(
        default=30, gt=0, le=86400, description="Reconnect delay cap (doubling, jittered)."
    )
    OpenTimeoutS: float = Field(
        default=10, gt=0, le=600, description="Opening the stream may take this long."
    )
    HwAccel: Literal["auto", "none", "vaapi", "qsv"] = Field(
        default="auto", description="Hardware decode; falls back to software with one log line."
    )
    Loop: bool = Field(
        default=True, description="File sources: replay from the start at the end of the file."
    )
    Realtime: bool = Field(default=True, description="File sources: pace at the file's own rate.")

    @field_validator("Uri")
    @classmethod
    def _check_uri(cls, uri: str) -> str:
        if uri:
            classify_uri(uri)  # raises ValueError naming the accepted schemes
        return uri

    @model_validator(mode="after")
    def _uri_matches_source(self) -> StreamSettings:
        if self.Source == "config" and not self.Uri:
            raise ValueError("Uri is required when Source is config (onvif/usb ask EdgeX for it)")
        if self.BackoffInitialS > self.BackoffMaxS:
            raise ValueError("BackoffInitialS must not exceed BackoffMaxS")
        return self

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            yield name, redact(value) if name == "Uri" and isinstance(value, str) else value

    @property
    def kind(self) -> StreamKind | None:
        """The kind of the configured Uri (None when it is asked of EdgeX)."""
        return classify_uri(self.Uri) if self.Uri else None
