"""The AFS twin (tests/interop/afstwin) and app-vision side by side on one Mosquitto.

The twin is a minimal EdgeX application service made of app-functions-sdk-go v4.0.2; its binary is
built once with `go build` (under `nice`) into the interop cache, keyed by a hash of its sources and
of the build command, exactly as peer.py builds edgexpeer. `TwinProcess` runs it (file configuration
`afstwin/res/configuration.yaml`, no registry, no configuration provider, EDGEX_SECURITY_SECRET_STORE
=false) and collects its output: the SDK's log lines and the pipeline's `TWIN-RECORD {json}` lines.

`AppVision` runs app-vision in-process as `app-vision run` wires it (service.app.Application: the
real MQTT bus, pipeline, telemetry and REST app), its REST app served by uvicorn on a free port.
`BusRecorder` is a plain paho client that keeps every raw message of a topic filter, and
`decode_envelope_bytes` decodes one independently of app-vision's codec.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cbor2
import paho.mqtt.client as mqtt
import requests
import uvicorn
import yaml
from paho.mqtt.enums import CallbackAPIVersion

from service.api.server import build_server
from service.app import Application
from service.config import Config, LoadOptions, load_config
from service.edgex.envelope import EnvelopeForm
from tests.bus.brokers import free_port, wait_for_port
from tests.interop.peer import FORM_ENV, build_go_program, go_source_hash

TWIN_DIR = Path(__file__).resolve().parent / "afstwin"
TWIN_KEY = "app-vision-twin"
APP_KEY = "app-vision"
SDK_VERSION = "4.0.2"
TWIN_VERSION = "0.1.0"
START_TIMEOUT_S = 30.0
_SDK_INTERNAL = "github.com/edgexfoundry/app-functions-sdk-go/v4/internal"
LDFLAGS = f"-X {_SDK_INTERNAL}.SDKVersion={SDK_VERSION} -X {_SDK_INTERNAL}.ApplicationVersion={TWIN_VERSION}"
BUILD_ARGS = ("build", "-trimpath", "-mod=readonly", "-ldflags", LDFLAGS)
RECORD_PREFIX = "TWIN-RECORD "
STARTED_MSG = "AFS twin of app-vision started"  # the tail of Service.StartupMsg in afstwin/res
_LOGFMT_MSG = re.compile(r'\bmsg="((?:[^"\\]|\\.)*)"')
_LOGFMT_LEVEL = re.compile(r"\blevel=(\w+)")

TRIGGER_BUS = "edgex-messagebus"
TRIGGER_HTTP = "http"
MAX_REQUEST_KB = 64
"""Service.MaxRequestSize of both services in this tier (KB): small, so an oversize body is cheap."""
TELEMETRY_INTERVAL = "1s"
TELEMETRY_METRICS = ("MessagesReceived", "InvalidMessagesReceived")
TELEMETRY_TAGS = {"Gateway": "gw-twin"}
RESULT_CAMERA = "twin-cam"
"""The camera of app-vision's one rule in this tier (a person on it makes a result event)."""

Json = dict[str, Any]


# --- building the twin ---------------------------------------------------------------------------


def twin_source_hash() -> str:
    return go_source_hash(TWIN_DIR, BUILD_ARGS)


def build_twin() -> Path:
    """The cached twin binary for the current sources; built (nice, go build) when missing."""
    return build_go_program(TWIN_DIR, "afstwin", BUILD_ARGS, twin_source_hash())


# --- running the twin ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TwinOptions:
    """How one twin process runs: its trigger and the wire form of its EdgeX libraries."""

    trigger: str = TRIGGER_BUS
    form: EnvelopeForm = EnvelopeForm.NESTED_JSON

    @property
    def name(self) -> str:
        return f"{self.trigger}-{self.form.value}"

    @property
    def service_key(self) -> str:
        """app-vision-twin for the default twin; the others add their trigger/form (own telemetry topics)."""
        parts = [TWIN_KEY]
        if self.trigger != TRIGGER_BUS:
            parts.append(self.trigger)
        if self.form is not EnvelopeForm.NESTED_JSON:
            parts.append(self.form.value.split("-")[0])
        return "-".join(parts)


@dataclass(frozen=True)
class LogLine:
    """One line the twin printed: the SDK's logfmt lines have a level and a msg."""

    raw: str
    level: str
    msg: str


def parse_line(raw: str) -> LogLine:
    """A logfmt line of go-mod-core-contracts' logger (`level=INFO ts=... msg="..."`), or any line."""
    level = _LOGFMT_LEVEL.search(raw)
    msg = _LOGFMT_MSG.search(raw)
    text = raw
    if msg:
        try:
            text = json.loads(f'"{msg.group(1)}"')  # Go's quoting of msg: JSON-compatible escapes
        except ValueError:
            text = msg.group(1)
    return LogLine(raw, level.group(1) if level else "", text)


@dataclass
class TwinProcess:
    """One running twin; `records` are what its pipeline received, `lines` everything it printed."""

    options: TwinOptions
    port: int
    process: subprocess.Popen[str]
    lines: list[LogLine] = field(default_factory=list)
    records: list[Json] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def start(cls, binary: Path, broker_port: int, options: TwinOptions, workdir: Path) -> TwinProcess:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("EDGEX_")}  # no inherited EdgeX switch
        env.update(FORM_ENV[options.form])
        env.update(twin_environment(port, broker_port, options))
        workdir.mkdir(parents=True, exist_ok=True)
        process = subprocess.Popen(
            [str(binary), "-s", "-cd", str(TWIN_DIR / "res")],
            cwd=workdir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        twin = cls(options, port, process)
        threading.Thread(target=twin._read, name=f"twin-{options.name}", daemon=True).start()
        try:
            twin.wait_line(lambda line: STARTED_MSG in line.msg, START_TIMEOUT_S)
            wait_for_port(port, START_TIMEOUT_S)
        except AssertionError:
            twin.stop()
            raise
        return twin

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            raw = raw.rstrip("\n")
            with self._lock:
                if raw.startswith(RECORD_PREFIX):
                    self.records.append(json.loads(raw[len(RECORD_PREFIX) :]))
                else:
                    self.lines.append(parse_line(raw))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        with self._lock:
            return "\n".join(line.raw for line in self.lines[-60:])

    def wait_line(self, predicate: Callable[[LogLine], bool], timeout_s: float = 10.0) -> LogLine:
        """The first line (seen so far or to come) that matches; fails with the twin's output."""
        deadline = time.monotonic() + timeout_s
        while True:
            with self._lock:
                found = next((line for line in self.lines if predicate(line)), None)
            if found is not None:
                return found
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise AssertionError(
                    f"the twin ({self.options.name}) printed no such line; output:\n{self.output()}"
                )
            time.sleep(0.02)

    def wait_record(self, predicate: Callable[[Json], bool], timeout_s: float = 10.0) -> Json:
        deadline = time.monotonic() + timeout_s
        while True:
            with self._lock:
                found = next((record for record in self.records if predicate(record)), None)
            if found is not None:
                return found
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise AssertionError(
                    f"the twin ({self.options.name}) recorded no such event; output:\n{self.output()}"
                )
            time.sleep(0.02)

    def records_where(self, predicate: Callable[[Json], bool]) -> list[Json]:
        with self._lock:
            return [record for record in self.records if predicate(record)]

    def lines_where(self, predicate: Callable[[LogLine], bool]) -> list[LogLine]:
        with self._lock:
            return [line for line in self.lines if predicate(line)]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def twin_environment(port: int, broker_port: int, options: TwinOptions) -> dict[str, str]:
    """EdgeX overrides of afstwin/res/configuration.yaml (each key exists in the file)."""
    env = {
        "EDGEX_SECURITY_SECRET_STORE": "false",
        "EDGEX_SERVICE_KEY": options.service_key,
        "SERVICE_HOST": "127.0.0.1",
        "SERVICE_PORT": str(port),
        "SERVICE_MAXREQUESTSIZE": str(MAX_REQUEST_KB),
        "MESSAGEBUS_HOST": "127.0.0.1",
        "MESSAGEBUS_PORT": str(broker_port),
        "MESSAGEBUS_OPTIONAL_CLIENTID": f"{TWIN_KEY}-{options.name}-{uuid.uuid4().hex[:6]}",
        "TRIGGER_TYPE": options.trigger,
        "WRITABLE_TELEMETRY_INTERVAL": TELEMETRY_INTERVAL,
    }
    for name in TELEMETRY_METRICS:
        env[f"WRITABLE_TELEMETRY_METRICS_{name.upper()}"] = "true"
    for name, value in TELEMETRY_TAGS.items():
        env[f"WRITABLE_TELEMETRY_TAGS_{name.upper()}"] = value
    return env


class Twins:
    """Twin processes on one broker, started on first use and kept for the session."""

    def __init__(self, binary: Path, broker_port: int, workdir: Path) -> None:
        self.binary = binary
        self.broker_port = broker_port
        self.workdir = workdir
        self._running: dict[TwinOptions, TwinProcess] = {}

    def __call__(self, options: TwinOptions | None = None) -> TwinProcess:
        wanted = options or TwinOptions()
        twin = self._running.get(wanted)
        if twin is None or twin.process.poll() is not None:
            twin = TwinProcess.start(self.binary, self.broker_port, wanted, self.workdir / wanted.name)
            self._running[wanted] = twin
        return twin

    def stop_all(self) -> None:
        for twin in self._running.values():
            twin.stop()


# --- app-vision in-process ------------------------------------------------------------------------


class LogCapture(logging.Handler):
    """Every record of the `service` loggers while app-vision runs (INFO and above)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []
        self.level_before = logging.NOTSET
        self._records_lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self._records_lock:
            self.records.append(record)

    def messages(self) -> list[tuple[str, str]]:
        with self._records_lock:
            return [(r.levelname, r.getMessage()) for r in self.records]


def app_vision_configuration(broker_port: int, port: int, state_dir: Path) -> Json:
    """app-vision's private configuration in this tier: the shipped layout, the test broker, one rule."""
    return {
        "Writable": {
            "LogLevel": "INFO",
            "Telemetry": {
                "Interval": TELEMETRY_INTERVAL,
                "Metrics": dict.fromkeys(TELEMETRY_METRICS, True),
                "Tags": dict(TELEMETRY_TAGS),
            },
        },
        "Service": {"Host": "127.0.0.1", "Port": port, "MaxRequestSize": MAX_REQUEST_KB},
        "MessageBus": {
            "Host": "127.0.0.1",
            "Port": broker_port,
            "Optional": {"ClientId": f"{APP_KEY}-twin-diff-{uuid.uuid4().hex[:6]}"},
        },
        "Trigger": {"SubscribeTopics": "events/#"},
        "AppCustom": {
            "Access": {"Enabled": False},  # the AFS twin has none: the REST diff compares open routes
            "Pipeline": {
                "StateDir": str(state_dir),
                "Devices": {RESULT_CAMERA: {"Role": "camera"}},
                "Rules": [
                    {
                        "Name": "twin-person",
                        "Cameras": [RESULT_CAMERA],
                        "Detection": {"Labels": ["person"], "MinScore": 0.5},
                        "Severity": "MINOR",
                        # One result event ("new") per instance: no update or end event later on
                        # that could land in another test's counts.
                        "CooldownS": 86400,
                        "UpdateEveryS": 86400,
                        "EndAfterS": 86400,
                        "Actions": {"ResultEvent": True, "Snapshot": False},
                    }
                ],
            },
        },
    }


@dataclass
class AppVision:
    """app-vision's Application on the test broker, REST served by uvicorn on 127.0.0.1:<port>."""

    app: Application
    server: uvicorn.Server
    thread: threading.Thread
    port: int
    logs: LogCapture

    @classmethod
    def start(
        cls, broker_port: int, workdir: Path, form: EnvelopeForm = EnvelopeForm.NESTED_JSON
    ) -> AppVision:
        port = free_port()
        config_dir = workdir / "res"
        config_dir.mkdir(parents=True, exist_ok=True)
        configuration = app_vision_configuration(broker_port, port, workdir / "state")
        (config_dir / "configuration.yaml").write_text(yaml.safe_dump(configuration), encoding="utf-8")
        environ = {
            "EDGEX_SECURITY_SECRET_STORE": "false",
            **FORM_ENV[form],
            **{k: v for k, v in os.environ.items() if k.startswith("APPCUSTOM_ENGINE_")},
        }
        loaded = load_config(Config, LoadOptions(config_dir=str(config_dir)), environ)
        logs = LogCapture()
        service_logger = logging.getLogger("service")
        service_logger.addHandler(logs)
        logs.level_before = service_logger.level
        if service_logger.getEffectiveLevel() > logging.INFO:
            service_logger.setLevel(logging.INFO)  # Writable.LogLevel INFO (run() applies it to root)
        app = Application(loaded, environ)
        app.start()
        server = build_server(app.api, "127.0.0.1", port)
        thread = threading.Thread(target=server.run, name="app-vision-rest", daemon=True)
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        running = cls(app, server, thread, port, logs)
        if not server.started:
            running.stop()
            raise AssertionError(f"app-vision's REST server did not start on 127.0.0.1:{port}")
        deadline = time.monotonic() + START_TIMEOUT_S
        while not app.bus.connected and time.monotonic() < deadline:
            time.sleep(0.02)
        assert app.bus.connected, "app-vision did not connect to the test broker"
        return running

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def metric(self, name: str, **labels: str) -> float:
        value = self.app.metrics.registry.get_sample_value(name, labels)
        return 0.0 if value is None else value

    def received(self) -> float:
        """messages_received_total summed over its topic kinds (= the MessagesReceived telemetry)."""
        return self.app.metrics.sample("MessagesReceived").fields[0][1]

    def invalid(self) -> float:
        """invalid_messages_total summed over its reasons (= InvalidMessagesReceived)."""
        return self.app.metrics.sample("InvalidMessagesReceived").fields[0][1]

    def log_messages(self) -> list[tuple[str, str]]:
        return self.logs.messages()

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.app.stop()
        service_logger = logging.getLogger("service")
        service_logger.removeHandler(self.logs)
        service_logger.setLevel(self.logs.level_before)


# --- the bus, seen by a plain client ------------------------------------------------------------


@dataclass(frozen=True)
class RawMessage:
    topic: str
    data: bytes
    at: float


class BusRecorder:
    """A plain paho client keeping every message of its topic filters (bytes as sent)."""

    def __init__(self, port: int, topics: Sequence[str]) -> None:
        self.messages: list[RawMessage] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"twin-rec-{uuid.uuid4().hex[:8]}")
        self._client.on_message = self._on_message
        self._client.on_subscribe = lambda *_args: self._subscribed.set()
        self._client.connect("127.0.0.1", port)
        self._client.loop_start()
        self._client.subscribe([(topic, 0) for topic in topics])
        assert self._subscribed.wait(5), "the recorder's subscription was not acknowledged"

    def _on_message(self, _client: object, _userdata: object, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append(RawMessage(message.topic, bytes(message.payload), time.time()))

    def where(self, predicate: Callable[[RawMessage], bool]) -> list[RawMessage]:
        with self._lock:
            return [m for m in self.messages if predicate(m)]

    def wait(
        self, predicate: Callable[[RawMessage], bool], count: int = 1, timeout_s: float = 10.0
    ) -> list[RawMessage]:
        deadline = time.monotonic() + timeout_s
        while True:
            found = self.where(predicate)
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.02)

    def publish(self, topic: str, data: bytes) -> None:
        info = self._client.publish(topic, data, qos=0)
        info.wait_for_publish(5)

    def close(self) -> None:
        self._client.loop_stop()
        self._client.disconnect()


def decode_envelope_bytes(data: bytes) -> Json:
    """A message envelope as sent (JSON object, or CBOR map for EDGEX_MSG_CBOR_ENCODE=true)."""
    raw = json.loads(data) if data.lstrip()[:1] == b"{" else cbor2.loads(data)
    assert isinstance(raw, dict), raw
    return raw


def envelope_payload(envelope: Mapping[str, Any]) -> Any:
    """The DTO inside an envelope: nested value, or base64 bytes decoded by contentType."""
    payload = envelope["payload"]
    content_type = str(envelope.get("contentType", "")).split(";")[0]
    if isinstance(payload, str):
        payload = base64.b64decode(payload, validate=True)
    if isinstance(payload, bytes):
        return cbor2.loads(payload) if content_type == "application/cbor" else json.loads(payload)
    return payload


def payload_form(envelope: Mapping[str, Any], data: bytes) -> str:
    """Which wire form a message came in: cbor, base64-json or nested-json."""
    if data.lstrip()[:1] != b"{":
        return EnvelopeForm.CBOR.value
    return (
        EnvelopeForm.BASE64_JSON.value
        if isinstance(envelope["payload"], str)
        else EnvelopeForm.NESTED_JSON.value
    )


# --- HTTP, the same request to both -------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def call(
    base_url: str,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> Answer:
    response = requests.request(method, base_url + path, data=body, headers=dict(headers or {}), timeout=10)
    return Answer(
        response.status_code,
        response.headers.get("Content-Type", ""),
        {k.lower(): v for k, v in response.headers.items()},
        response.content,
    )


def wait_until(condition: Callable[[], bool], timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# --- telemetry: the Metric DTOs each service reports ----------------------------------------------


@dataclass(frozen=True)
class MetricReport:
    """One telemetry message as received: topic, envelope, Metric DTO, wire form."""

    topic: str
    envelope: Json
    metric: Json
    form: str
    at: float

    @property
    def service(self) -> str:
        return self.topic.split("/")[2]

    @property
    def name(self) -> str:
        return self.topic.split("/")[3]

    @property
    def fields(self) -> dict[str, Any]:
        return {f["name"]: f["value"] for f in self.metric["fields"]}

    @property
    def tags(self) -> dict[str, str]:
        return {t["name"]: t["value"] for t in self.metric.get("tags") or []}


def metric_reports(recorder: BusRecorder, service: str, name: str, since: float = 0.0) -> list[MetricReport]:
    """Every report of `name` by `service` received after `since` (time.time())."""
    prefix = f"edgex/telemetry/{service}/{name}"
    reports = []
    for message in recorder.where(lambda m: m.topic == prefix and m.at > since):
        envelope = decode_envelope_bytes(message.data)
        reports.append(
            MetricReport(
                message.topic,
                envelope,
                envelope_payload(envelope),
                payload_form(envelope, message.data),
                message.at,
            )
        )
    return reports


def counter_after(
    recorder: BusRecorder, service: str, name: str, since: float, timeout_s: float = 8.0
) -> float:
    """The counter-count of the first report of `name` by `service` sent after `since`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        reports = metric_reports(recorder, service, name, since)
        if reports:
            return float(reports[0].fields["counter-count"])
        time.sleep(0.05)
    raise AssertionError(f"{service} reported no {name} within {timeout_s} s after t={since:.3f}")


def counter_reaches(
    recorder: BusRecorder, service: str, name: str, expected: float, since: float, timeout_s: float = 8.0
) -> float:
    """The latest counter-count of `name` by `service`, once it equals `expected` (or at the timeout)."""
    deadline = time.monotonic() + timeout_s
    latest = float("nan")
    while time.monotonic() < deadline:
        reports = metric_reports(recorder, service, name, since)
        if reports:
            latest = float(reports[-1].fields["counter-count"])
            if latest == expected:
                return latest
        time.sleep(0.05)
    return latest
