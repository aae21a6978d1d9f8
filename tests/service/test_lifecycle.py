"""The real `app-vision run` process: start-up, REST, bad input, broker outages, SIGTERM."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable

import httpx
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from service.edgex.dtos import AddEventRequest, Reading, add_event_request_to_json
from service.edgex.envelope import EnvelopeForm, encode_envelope, envelope_for_event
from service.edgex.event_types import new_event
from tests.service.harness import Mosquitto, ServiceProcess, wait_until

StartService = Callable[..., ServiceProcess]
STARTUP_MSG = "app-vision: EdgeX vision application service started"
EVENTS = 'messages_received_total{topic_kind="events"}'
INVALID = 'invalid_messages_total{reason="envelope"}'


def _event_request() -> AddEventRequest:
    event = new_event("sim-pir", "pir", "Motion", [Reading.simple("Motion", "Bool", True)])
    return AddEventRequest(request_id=str(uuid.uuid4()), event=event)


def _publish(port: int, topic: str, payload: bytes) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"test-{uuid.uuid4().hex[:8]}")
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        client.publish(topic, payload, qos=1).wait_for_publish(timeout=5)
    finally:
        client.disconnect()
        client.loop_stop()


def _publish_event(port: int) -> None:
    envelope = envelope_for_event(_event_request(), EnvelopeForm.NESTED_JSON)
    _publish(
        port,
        "edgex/events/device/device-virtual/pir/sim-pir/Motion",
        encode_envelope(envelope, EnvelopeForm.NESTED_JSON),
    )


def test_memory_bus_run_serves_rest_and_exits_0_on_sigterm(start_service: StartService) -> None:
    service = start_service({"MESSAGEBUS_TYPE": "memory"})
    wait_until(lambda: STARTUP_MSG in service.log(), 5, "the startup message")
    assert "subscribed to edgex/events/# on the memory bus" in service.log()
    assert service.get("/api/v3/version").json()["sdk_version"]
    response = httpx.post(
        service.base_url + "/api/v3/trigger", json=add_event_request_to_json(_event_request())
    )
    assert response.status_code == 200
    code, elapsed_s = service.terminate()
    assert code == 0, service.log()
    assert elapsed_s < 5
    assert "app-vision stopped" in service.log()


def test_port_in_use_exits_1(start_service: StartService) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        service = start_service({"MESSAGEBUS_TYPE": "memory", "SERVICE_PORT": str(port)}, wait_ping=False)
        assert service.process.wait(timeout=30) == 1
    assert "REST server could not start" in service.log()


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        (
            {
                "EDGEX_SECURITY_SECRET_STORE": "true",
                "SECRETSTORE_TOKENFILE": "/nonexistent/secrets-token.json",
            },
            "secret store token file /nonexistent/secrets-token.json: missing",
        ),
        ({"MESSAGEBUS_OPTIONAL_QOS": "7"}, "MessageBus.Optional.Qos"),
        ({"MESSAGEBUS_AUTHMODE": "usernamepassword", "MESSAGEBUS_SECRETNAME": "absent"}, "has no 'username'"),
    ],
)
def test_unusable_configuration_exits_2(
    start_service: StartService, env: dict[str, str], fragment: str
) -> None:
    service = start_service(env, wait_ping=False)
    assert service.process.wait(timeout=30) == 2
    assert fragment in service.log()


@pytest.mark.bus
def test_broker_outages_keep_rest_up_and_consumption_resumes(
    start_service: StartService, mosquitto_broker: Mosquitto
) -> None:
    port = mosquitto_broker.port
    service = start_service(
        {"MESSAGEBUS_TYPE": "mqtt", "MESSAGEBUS_HOST": "127.0.0.1", "MESSAGEBUS_PORT": str(port)}
    )
    wait_until(lambda: "is unreachable" in service.log(), 10, "a clear 'broker unreachable' log line")
    assert service.ping_ok()

    mosquitto_broker.start()
    wait_until(lambda: "connected to MQTT broker" in service.log(), 20, "the first connection")
    _publish(port, "edgex/events/device/x/y/z/w", b"\x00 not an envelope")
    _publish_event(port)
    wait_until(lambda: service.metric(EVENTS) == 2, 10, "both messages counted")
    assert service.metric(INVALID) == 1

    mosquitto_broker.stop()
    wait_until(lambda: "lost MQTT broker" in service.log(), 10, "a clear 'broker lost' log line")
    assert service.ping_ok()

    mosquitto_broker.start()
    wait_until(lambda: service.log().count("connected to MQTT broker") >= 2, 40, "the reconnection")
    _publish_event(port)  # re-subscribed: still consuming
    wait_until(lambda: service.metric(EVENTS) == 3, 10, "the event after the reconnection")

    code, elapsed_s = service.terminate()
    assert (code, elapsed_s < 5) == (0, True), service.log()


@pytest.mark.bus
def test_sigterm_while_the_broker_is_down_exits_0_within_5_s(
    start_service: StartService, mosquitto_broker: Mosquitto
) -> None:
    env = {
        "MESSAGEBUS_TYPE": "mqtt",
        "MESSAGEBUS_HOST": "127.0.0.1",
        "MESSAGEBUS_PORT": str(mosquitto_broker.port),
    }
    service = start_service(env)
    wait_until(lambda: "is unreachable" in service.log(), 10, "the unreachable broker")
    code, elapsed_s = service.terminate()
    assert (code, elapsed_s < 5) == (0, True), service.log()
