"""app-vision configuration: EdgeX sections + AppCustom, layered files and environment overrides."""

from service.config.errors import ConfigError, UnsupportedModeError
from service.config.loader import DEMO_OVERLAY, Bootstrap, LoadedConfig, LoadOptions, load_config
from service.config.model import AppCustomSection, Config, EdgeXConfig
from service.config.redact import REDACTED, redact
from service.config.secrets import InsecureSecretStore

__all__ = [
    "DEMO_OVERLAY",
    "REDACTED",
    "AppCustomSection",
    "Bootstrap",
    "Config",
    "ConfigError",
    "EdgeXConfig",
    "InsecureSecretStore",
    "LoadOptions",
    "LoadedConfig",
    "UnsupportedModeError",
    "load_config",
    "redact",
]
