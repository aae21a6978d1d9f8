"""Bus settings from the MessageBus section: EdgeX strings converted, credentials read or refused."""

from __future__ import annotations

import pytest

from service.config import ConfigError, InsecureSecretStore
from service.config.bus import bus_settings
from service.config.sections import MessageBusSection


def test_bus_settings_convert_edgex_strings_and_read_the_secret() -> None:
    section = MessageBusSection.model_validate(
        {
            "AuthMode": "usernamepassword",
            "SecretName": "bus",
            "Optional": {
                "Qos": "2",
                "KeepAlive": "30",
                "Retained": "true",
                "ConnectTimeout": "3",
                "ClientId": "c",
            },
        }
    )
    secrets = InsecureSecretStore({})
    secrets.store("bus", {"username": "u", "password": "p"})
    settings = bus_settings(section, secrets)
    assert (settings.username, settings.password, settings.client_id) == ("u", "p", "c")
    assert (settings.qos, settings.keep_alive_s, settings.retained, settings.connect_timeout_s) == (
        2,
        30,
        True,
        3.0,
    )


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"AuthMode": "usernamepassword", "SecretName": "absent"}, "has no 'username'"),
        ({"AuthMode": "clientcert"}, "CertFile"),
    ],
)
def test_bus_settings_refuse_missing_credentials(data: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        bus_settings(MessageBusSection.model_validate(data), InsecureSecretStore({}))
