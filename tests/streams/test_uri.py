"""URI helpers: kinds, credentials in (percent-encoded), credentials out of any text."""

from __future__ import annotations

import pytest

from service.streams.uri import StreamKind, classify_uri, file_path, inject_credentials, redact


@pytest.mark.parametrize(
    ("uri", "kind"),
    [
        ("rtsp://cam/stream1", StreamKind.RTSP),
        ("RTSPS://cam:322/x", StreamKind.RTSP),
        ("http://cam/video.mjpg", StreamKind.MJPEG),
        ("https://cam/mjpeg", StreamKind.MJPEG),
        ("/var/lib/app/door.mp4", StreamKind.FILE),
        ("clips/door.mp4", StreamKind.FILE),
        ("file:///var/lib/door.mp4", StreamKind.FILE),
    ],
)
def test_classify(uri: str, kind: StreamKind) -> None:
    assert classify_uri(uri) is kind


def test_classify_rejects_other_schemes_without_showing_credentials() -> None:
    with pytest.raises(ValueError, match="unsupported stream URI scheme 'ftp'") as raised:
        classify_uri("ftp://admin:hunter2@cam/x")
    assert "hunter2" not in str(raised.value) and "ftp://***@cam/x" in str(raised.value)


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("rtsp://user:pw@h/x", "rtsp://***@h/x"),
        ("rtsp://user@h:554/x", "rtsp://***@h:554/x"),
        ("http://u:p@ss@h/x?a=b@c", "http://***@h/x?a=b@c"),  # raw '@' in a password
        (
            "open 'rtsp://a:b@h/x' failed; retry rtsps://c:d@h2/y",
            "open 'rtsp://***@h/x' failed; retry rtsps://***@h2/y",
        ),
        ("rtsp://h/x@y", "rtsp://h/x@y"),  # '@' in the path is no userinfo
        ("/plain/path.mp4", "/plain/path.mp4"),
    ],
)
def test_redact(text: str, redacted: str) -> None:
    assert redact(text) == redacted


@pytest.mark.parametrize(
    ("uri", "user", "password", "injected"),
    [
        ("rtsp://cam:554/s1", "admin", "pw", "rtsp://admin:pw@cam:554/s1"),
        ("rtsp://old:creds@cam/s1?x=1", "ad min", "p@ss:/w%", "rtsp://ad%20min:p%40ss%3A%2Fw%25@cam/s1?x=1"),
        ("http://cam/video", "viewer", "", "http://viewer@cam/video"),
        ("http://old@cam/video", "", "", "http://cam/video"),
    ],
)
def test_inject_credentials(uri: str, user: str, password: str, injected: str) -> None:
    assert inject_credentials(uri, user, password) == injected
    assert password == "" or password not in redact(injected)


def test_inject_credentials_refuses_files() -> None:
    with pytest.raises(ValueError, match="file source"):
        inject_credentials("/tmp/a.mp4", "u", "p")


def test_file_path() -> None:
    assert file_path("file:///tmp/a%20b.mp4") == "/tmp/a b.mp4"
    assert file_path("/tmp/a b.mp4") == "/tmp/a b.mp4"
