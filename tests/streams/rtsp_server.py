"""A GStreamer RTSP server for the stream tests, run by the system Python (python3-gi):

    /usr/bin/python3 tests/streams/rtsp_server.py --port 8554 --mount /cam --units camera.h264units

Serves the H.264 access units written by tests/streams/media.py on 127.0.0.1:<port><mount>,
looping forever at --fps with timestamps that keep increasing, no re-encoding. Each client gets
its own pipeline starting at the first frame. Prints READY once it listens. Optional --user and
--password require RTSP basic authentication. Stopped by signal (the fixture kills it by pid).
"""

from __future__ import annotations

import argparse
import struct
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

LAUNCH = (
    "( appsrc name=src format=time is-live=false "
    "caps=video/x-h264,stream-format=byte-stream,alignment=au,width=640,height=480,framerate={fps}/1 "
    "! h264parse config-interval=-1 ! rtph264pay name=pay0 pt=96 config-interval=-1 )"
)


def read_units(path: str) -> list[tuple[bytes, bool]]:
    """(payload, keyframe) records: 4-byte big-endian length, 1 flag byte, payload."""
    units = []
    with open(path, "rb") as source:
        while header := source.read(5):
            size, flags = struct.unpack(">IB", header)
            units.append((source.read(size), bool(flags & 1)))
    return units


class LoopingFeed:
    """Pushes the units into one media's appsrc on demand, looping, with increasing timestamps."""

    def __init__(self, units: list[tuple[bytes, bool]], fps: int) -> None:
        self.units = units
        self.duration = Gst.SECOND // fps
        self.count = 0

    def need_data(self, src: Gst.Element, _length: int) -> None:
        payload, keyframe = self.units[self.count % len(self.units)]
        buffer = Gst.Buffer.new_wrapped(payload)
        buffer.pts = buffer.dts = self.count * self.duration
        buffer.duration = self.duration
        if not keyframe:
            buffer.set_flags(Gst.BufferFlags.DELTA_UNIT)
        self.count += 1
        src.emit("push-buffer", buffer)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mount", default="/cam")
    parser.add_argument("--units", required=True)
    parser.add_argument("--fps", type=int, default=10)
    parser.add_argument("--user", default="")
    parser.add_argument("--password", default="")
    args = parser.parse_args()
    Gst.init(None)
    units = read_units(args.units)

    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(LAUNCH.format(fps=args.fps))
    factory.set_shared(False)

    def configure(_factory: GstRtspServer.RTSPMediaFactory, media: GstRtspServer.RTSPMedia) -> None:
        src = media.get_element().get_by_name_recurse_up("src")
        feed = LoopingFeed(units, args.fps)
        media.feed = feed  # keep it alive as long as the media
        src.connect("need-data", feed.need_data)

    factory.connect("media-configure", configure)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    if args.user:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "user")
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.user, args.password), token)
        server.set_auth(auth)
        permissions = GstRtspServer.RTSPPermissions()
        permissions.add_permission_for_role("user", GstRtspServer.RTSP_PERM_MEDIA_FACTORY_ACCESS, True)
        permissions.add_permission_for_role("user", GstRtspServer.RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, True)
        factory.set_permissions(permissions)
    server.get_mount_points().add_factory(args.mount, factory)
    if server.attach(None) == 0:
        print(f"cannot listen on 127.0.0.1:{args.port}", file=sys.stderr, flush=True)
        return 1
    print("READY", flush=True)
    GLib.MainLoop().run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
