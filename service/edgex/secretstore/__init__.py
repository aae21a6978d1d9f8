"""Secure mode: the OpenBao secret store, the service token, the service JWT, incoming JWT checks."""

from service.edgex.secretstore.bus_credentials import (
    AUTH_MODES,
    DEFAULT_BUS_SECRET,
    BusCredentials,
    SecretSource,
    parse_bus_credentials,
    read_bus_credentials,
)
from service.edgex.secretstore.client import Introspection, MintedJwt, OpenBaoClient, Renewal, TokenInfo
from service.edgex.secretstore.errors import (
    BadStoreResponse,
    BadVerificationKey,
    BusCredentialsError,
    InvalidSecretName,
    JwtRejected,
    JwtRejection,
    SecretNotFound,
    SecretStoreError,
    StoreRejected,
    StoreSealed,
    StoreUnavailable,
    TokenFileError,
    TokenRejected,
)
from service.edgex.secretstore.jwt_cache import JwtCache
from service.edgex.secretstore.jwt_validation import JwtClaims, JwtValidationSettings, JwtValidator
from service.edgex.secretstore.proxy_auth_keys import VerificationKeys, load_verification_key
from service.edgex.secretstore.secret_provider import SecureSecretStore
from service.edgex.secretstore.settings import (
    DEFAULT_JWT_AUDIENCE,
    OPENBAO_ISSUER,
    SecretStoreSettings,
    default_token_file,
)
from service.edgex.secretstore.token_file import TokenFile, read_token_file
from service.edgex.secretstore.token_keeper import EventSleeper, Sleeper, TokenKeeper

__all__ = [
    "AUTH_MODES",
    "DEFAULT_BUS_SECRET",
    "DEFAULT_JWT_AUDIENCE",
    "OPENBAO_ISSUER",
    "BadStoreResponse",
    "BadVerificationKey",
    "BusCredentials",
    "BusCredentialsError",
    "EventSleeper",
    "Introspection",
    "InvalidSecretName",
    "JwtCache",
    "JwtClaims",
    "JwtRejected",
    "JwtRejection",
    "JwtValidationSettings",
    "JwtValidator",
    "MintedJwt",
    "OpenBaoClient",
    "Renewal",
    "SecretNotFound",
    "SecretSource",
    "SecretStoreError",
    "SecretStoreSettings",
    "SecureSecretStore",
    "Sleeper",
    "StoreRejected",
    "StoreSealed",
    "StoreUnavailable",
    "TokenFile",
    "TokenFileError",
    "TokenInfo",
    "TokenKeeper",
    "TokenRejected",
    "VerificationKeys",
    "default_token_file",
    "load_verification_key",
    "parse_bus_credentials",
    "read_bus_credentials",
    "read_token_file",
]
