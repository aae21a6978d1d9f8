"""Stream servers on loopback for the reader tests.

- `RtspServer`: tests/streams/rtsp_server.py run by the system Python in its own process; start,
  stop (kill by pid), start again on the same port, pause/resume (SIGSTOP/SIGCONT: the TCP
  connection stays open and goes silent, as a hung camera does).
- `MjpegServer`: multipart/x-mixed-replace JPEGs over HTTP at a given rate, optional basic auth.
- `JunkServer`: a TCP server that answers every connection with junk, or never answers.
"""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Literal

from tests.bus.brokers import free_port

SYSTEM_PYTHON = "/usr/bin/python3"
SCRIPT = Path(__file__).with_name("rtsp_server.py")
GSTREAMER_HINT = (
    "GStreamer RTSP server absent: apt-get install gir1.2-gst-rtsp-server-1.0 python3-gi "
    "gstreamer1.0-plugins-ugly gstreamer1.0-plugins-good gstreamer1.0-plugins-bad"
)


def gstreamer_rtsp_available() -> bool:
    """Whether the system Python can import GStreamer's RTSP server."""
    probe = "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer"
    try:
        done = subprocess.run([SYSTEM_PYTHON, "-c", probe], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


class RtspServer:
    """One RTSP server process serving `units` at rtsp://127.0.0.1:<port><mount>."""

    def __init__(self, units: Path, mount: str = "/cam", user: str = "", password: str = "") -> None:
        self.units = units
        self.mount = mount
        self.user = user
        self.password = password
        self.port = free_port()
        self._process: subprocess.Popen[str] | None = None

    @property
    def uri(self) -> str:
        return f"rtsp://127.0.0.1:{self.port}{self.mount}"

    def start(self, timeout_s: float = 15.0) -> None:
        """Start (again, on the same port) and wait for READY."""
        command = [SYSTEM_PYTHON, str(SCRIPT), "--port", str(self.port), "--mount", self.mount]
        command += ["--units", str(self.units)]
        if self.user:
            command += ["--user", self.user, "--password", self.password]
        deadline = time.monotonic() + timeout_s
        while True:  # the port may still be held for a moment after the previous process
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            assert process.stdout is not None
            line = process.stdout.readline()
            if line.strip() == "READY":
                self._process = process
                return
            process.kill()
            _, err = process.communicate(timeout=5)
            if time.monotonic() > deadline:
                raise RuntimeError(f"RTSP server did not start: {line!r} {err[-2000:]}")
            time.sleep(0.2)

    def stop(self) -> None:
        """Kill the process (by pid) and wait for it."""
        process, self._process = self._process, None
        if process is None:
            return
        os.kill(process.pid, signal.SIGCONT)  # a paused process must run to die cleanly
        process.kill()
        process.communicate(timeout=10)

    def pause(self) -> None:
        """SIGSTOP: connections stay open and go silent."""
        assert self._process is not None
        os.kill(self._process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self._process is not None
        os.kill(self._process.pid, signal.SIGCONT)


class MjpegServer:
    """`GET <path>` answers multipart/x-mixed-replace JPEGs at fps, looping; optional basic auth."""

    def __init__(
        self, jpegs: tuple[bytes, ...], fps: float, path: str = "/video", user: str = "", password: str = ""
    ) -> None:
        self.jpegs = jpegs
        self.fps = fps
        self.path = path
        self.auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode() if user else ""
        self.requests: list[tuple[str, str]] = []  # (path, Authorization header)
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                owner.requests.append((self.path, self.headers.get("Authorization", "")))
                if self.path != owner.path:
                    self.send_error(404)
                    return
                if owner.auth and self.headers.get("Authorization") != owner.auth:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="camera"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                owner._stream(self)

        return Handler

    def _stream(self, handler: BaseHTTPRequestHandler) -> None:
        started = time.monotonic()
        index = 0
        while not self._stopping.is_set():
            jpeg = self.jpegs[index % len(self.jpegs)]
            part = b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(jpeg)
            try:
                handler.wfile.write(part + jpeg + b"\r\n")
                handler.wfile.flush()
            except OSError:
                return
            index += 1
            delay_s = started + index / self.fps - time.monotonic()
            if delay_s > 0:
                self._stopping.wait(delay_s)


class JunkServer:
    """TCP on loopback: mode "junk" answers a request with bytes that are no protocol at all and
    hangs up; "silent" accepts and never answers (a hung camera)."""

    JUNK = b"\x00\xffRTSP/9.9 ??? \r\n\x13\x37" * 64

    def __init__(self, mode: Literal["junk", "silent"]) -> None:
        self.mode = mode
        self.connections = 0
        self._stopping = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._open: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def uri(self, scheme: str = "rtsp") -> str:
        return f"{scheme}://127.0.0.1:{self.port}/cam"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        for connection in self._open:
            connection.close()
        self._listener.close()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            self._open.append(connection)
            if self.mode == "junk":
                threading.Thread(target=self._answer_junk, args=(connection,), daemon=True).start()

    def _answer_junk(self, connection: socket.socket) -> None:
        connection.settimeout(1.0)
        try:
            if connection.recv(4096):
                connection.sendall(self.JUNK)
        except OSError:
            pass
        finally:
            connection.close()
