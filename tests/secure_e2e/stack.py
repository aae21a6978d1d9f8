"""The secure-mode stack around the real `app-vision run`: a throw-away PKI made with `openssl`,
Mosquitto with a password file and a TLS listener only, FakeOpenBao holding the message-bus secret
(username, password, and the CA as `cacert` PEM text), and core-command / support-notifications
stand-ins that answer 401 unless the call carries a JWT OpenBao vouches for (introspection, aud).
"""

from __future__ import annotations

import json
import ssl
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from service.edgex.secretstore import OpenBaoClient, SecretStoreSettings
from service.simulator.loadgen import value_envelope
from tests.bus.brokers import Broker, find_binary, mosquitto
from tests.fakes.openbao import FakeOpenBao
from tests.service.harness import REPO, ServiceProcess, launch_service

BUS_USER = "msgbususer"
BUS_PASSWORD = "S3cure-bus-password-0123456789abcdefghijklmn"  # 44 characters, as setup makes them
RESULT_TOPIC = "edgex/events/device/app-vision/#"
ROOMS = ("hall", "attic", "cellar", "garage")
CONFIG = """\
Writable:
  LogLevel: DEBUG
  InsecureSecrets:                 # ignored in secure mode: the secret store holds message-bus
    bus: { SecretName: message-bus, SecretData: { username: insecure-user, password: insecure-pw } }
AppCustom:
  Pipeline:
    StateDir: {state}
    Outbox: { BackoffInitialS: 0.5, BackoffMaxS: 1 }
    Rules:
"""
RULE = """\
      - Name: hot-{room}
        Sensors: [{{ Device: temp-{room}, Resource: Temperature, Op: gt, Value: 40 }}]
        Severity: CRITICAL
        Actions:
          Command: {{ Device: Random-Boolean-Device, Command: WriteBoolValue, Body: {{ Bool: "true" }} }}
          Notification: {{ Category: environment, Labels: [{room}] }}
"""


@dataclass(frozen=True)
class Pki:
    ca: Path
    cert: Path
    key: Path


def _openssl(workdir: Path, *args: str) -> None:
    subprocess.run([find_binary("openssl"), *args], cwd=workdir, check=True, capture_output=True, timeout=60)


def make_pki(workdir: Path) -> Pki:
    """A self-signed CA and a broker certificate for 127.0.0.1 signed by it."""
    workdir.mkdir(parents=True, exist_ok=True)
    _openssl(workdir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
             "-days", "1", "-subj", "/CN=app-vision secure test CA")  # fmt: skip
    _openssl(workdir, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
             "-subj", "/CN=127.0.0.1")  # fmt: skip
    (workdir / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    _openssl(workdir, "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", "server.crt", "-days", "1", "-extfile", "san.ext")  # fmt: skip
    return Pki(workdir / "ca.crt", workdir / "server.crt", workdir / "server.key")


def make_client_cert(pki: Pki, name: str = "app-vision") -> tuple[str, str]:
    """A client certificate signed by the test CA, and its key: (cert PEM, key PEM)."""
    workdir = pki.ca.parent
    _openssl(workdir, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
             "-subj", f"/CN={name}")  # fmt: skip
    _openssl(workdir, "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", f"{name}.crt", "-days", "1")  # fmt: skip
    return (workdir / f"{name}.crt").read_text(), (workdir / f"{name}.key").read_text()


def secured_mosquitto(workdir: Path, pki: Pki) -> Broker:
    """Mosquitto: TLS listener only, no anonymous clients, the bus user in a password file."""
    passwords = workdir / "passwords"
    subprocess.run(
        [find_binary("mosquitto_passwd"), "-b", "-c", str(passwords), BUS_USER, BUS_PASSWORD],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    broker = mosquitto(
        workdir,
        f"allow_anonymous false\npassword_file {passwords}\ncafile {pki.ca}\ncertfile {pki.cert}\n"
        f"keyfile {pki.key}\nlog_type all\n",
    )
    broker.start()
    return broker


def jwt_check_for(bao: FakeOpenBao) -> Callable[[str], bool]:
    """What an EdgeX service in secure mode accepts: OpenBao says active and aud is edgex."""
    store = OpenBaoClient(SecretStoreSettings(host="127.0.0.1", port=bao.port, timeout_s=2))

    def check(token: str) -> bool:
        return store.introspect(bao.root_token, token).active and _audience(token) == "edgex"

    return check


def _audience(token: str) -> object:
    import jwt as pyjwt

    return pyjwt.decode(token, options={"verify_signature": False}).get("aud")


class TlsClient:
    """A device service's view of the bus: TLS with the CA, the bus user; collects result events."""

    def __init__(self, broker: Broker, pki: Pki) -> None:
        self.results: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"device-{uuid.uuid4().hex[:6]}")
        self._client.username_pw_set(BUS_USER, BUS_PASSWORD)
        self._client.tls_set(ca_certs=str(pki.ca), tls_version=ssl.PROTOCOL_TLS_CLIENT)
        self._client.on_message = self._on_message
        self._client.on_subscribe = lambda *_args: self._subscribed.set()
        self._client.connect("127.0.0.1", broker.port)
        self._client.loop_start()
        self._client.subscribe(RESULT_TOPIC, qos=1)
        assert self._subscribed.wait(10), "the test client could not subscribe over TLS"

    def temperature(self, room: str, value: float = 45.0) -> None:
        device = f"temp-{room}"
        topic = f"edgex/events/device/device-virtual/sensor/{device}/Temperature"
        payload = value_envelope(device, "sensor", "Temperature", "Float64", f"{value:e}")
        self._client.publish(topic, payload, qos=1).wait_for_publish(10)

    def result_count(self) -> int:
        with self._lock:
            return len(self.results)

    def close(self) -> None:
        self._client.loop_stop()
        self._client.disconnect()

    def _on_message(self, _client: object, _userdata: object, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.results.append((message.topic, bytes(message.payload)))


def write_config(folder: Path) -> Path:
    """res/configuration.yaml of the secure runs: one sensor rule with a command and a notification."""
    folder.mkdir(parents=True, exist_ok=True)
    rules = "".join(RULE.format(room=room) for room in ROOMS)
    text = CONFIG.replace("{state}", str(folder.parent / "state")) + rules
    (folder / "configuration.yaml").write_text(text)
    return folder


def secure_env(bao: FakeOpenBao, broker_port: int, command_port: int, notify_port: int) -> dict[str, str]:
    """EdgeX secure mode as compose sets it for an app service, pointed at the test stack."""
    assert bao.token_file is not None
    return {
        "EDGEX_SECURITY_SECRET_STORE": "true",
        "SECRETSTORE_HOST": "127.0.0.1",
        "SECRETSTORE_PORT": str(bao.port),
        "SECRETSTORE_TOKENFILE": str(bao.token_file),
        "MESSAGEBUS_TYPE": "mqtt",
        "MESSAGEBUS_PROTOCOL": "tls",
        "MESSAGEBUS_HOST": "127.0.0.1",
        "MESSAGEBUS_PORT": str(broker_port),
        "MESSAGEBUS_AUTHMODE": "usernamepassword",
        "MESSAGEBUS_SECRETNAME": "message-bus",
        "MESSAGEBUS_OPTIONAL_CLIENTID": f"app-vision-{uuid.uuid4().hex[:6]}",
        "CLIENTS_CORE_COMMAND_USEMESSAGEBUS": "false",
        "CLIENTS_CORE_COMMAND_HOST": "127.0.0.1",
        "CLIENTS_CORE_COMMAND_PORT": str(command_port),
        "CLIENTS_SUPPORT_NOTIFICATIONS_HOST": "127.0.0.1",
        "CLIENTS_SUPPORT_NOTIFICATIONS_PORT": str(notify_port),
        "APPCUSTOM_ENGINE_MODELSDIR": str(REPO / ".cache" / "models"),
    }


def launch(workdir: Path, env: dict[str, str], wait_ping: bool = True) -> ServiceProcess:
    """`app-vision run` with the test configuration folder."""
    res = write_config(workdir / "res")
    return launch_service(workdir, env, ("-cd", str(res)), wait_ping)


@dataclass
class Caller:
    """REST calls to app-vision with or without a bearer JWT."""

    base_url: str
    calls: list[int] = field(default_factory=list)

    def get(self, path: str, jwt: str | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {jwt}"} if jwt is not None else {}
        return httpx.get(self.base_url + path, headers=headers, timeout=10)

    def post(self, path: str, body: Any, jwt: str | None = None) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        if jwt is not None:
            headers["Authorization"] = f"Bearer {jwt}"
        return httpx.post(self.base_url + path, content=json.dumps(body), headers=headers, timeout=10)


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
