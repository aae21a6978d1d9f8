"""Stream URIs: classify the kind (rtsp, mjpeg, file), put credentials in, and redact them out.

Every string that may hold a URI (log lines, error messages, reprs, FFmpeg's own messages, which
quote the URL they failed on) goes through `redact` before it leaves this package.
"""

from __future__ import annotations

import enum
import re
from urllib.parse import quote, unquote, urlsplit, urlunsplit


class StreamKind(enum.Enum):
    """How a stream is opened."""

    RTSP = "rtsp"
    MJPEG = "mjpeg"
    FILE = "file"


_KIND_OF_SCHEME = {
    "rtsp": StreamKind.RTSP,
    "rtsps": StreamKind.RTSP,
    "http": StreamKind.MJPEG,
    "https": StreamKind.MJPEG,
    "file": StreamKind.FILE,
}
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
# scheme://userinfo@ anywhere in a text: up to the last '@' before the first '/', quote or blank,
# so an unencoded '@' in a hand-written password is redacted too.
_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)[^/\s'\"]*@")
REDACTED = "***"


def redact(text: str) -> str:
    """`rtsp://user:pw@h/x` -> `rtsp://***@h/x`, for every URI inside `text`."""
    return _USERINFO.sub(rf"\1{REDACTED}@", text)


def classify_uri(uri: str) -> StreamKind:
    """The kind of a stream URI; ValueError (redacted) for a scheme that is not a stream."""
    found = _SCHEME.match(uri)
    if found is None:
        return StreamKind.FILE
    kind = _KIND_OF_SCHEME.get(found.group(1).lower())
    if kind is None:
        raise ValueError(
            f"unsupported stream URI scheme {found.group(1)!r} in {redact(uri)!r}: "
            "use rtsp://, rtsps://, http(s):// (MJPEG), a file path or file://"
        )
    return kind


def file_path(uri: str) -> str:
    """The local path of a file source (`file:///a%20b.mp4` -> `/a b.mp4`; a plain path as is)."""
    if _SCHEME.match(uri) is None:
        return uri
    return unquote(urlsplit(uri).path)


def inject_credentials(uri: str, username: str, password: str) -> str:
    """The URI with `username:password@` (percent-encoded) in place of any userinfo it had."""
    if classify_uri(uri) is StreamKind.FILE:
        raise ValueError("a file source takes no credentials")
    parts = urlsplit(uri)
    host = parts.netloc.rpartition("@")[2]
    userinfo = quote(username, safe="")
    if password:
        userinfo += ":" + quote(password, safe="")
    netloc = f"{userinfo}@{host}" if userinfo else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
