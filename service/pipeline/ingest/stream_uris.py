"""Where a stream camera's URI comes from, with its credentials: asked again at every (re)connect.

- Source `config`: Stream.Uri as written;
- Source `onvif`: device-onvif-camera's StreamUri through core-command (Stream.ProfileToken);
- Source `usb`: device-usb-camera's StreamURI, after asking it to StartStreaming.

With Stream.SecretName the secret's `username` and `password` (EdgeX's camera credential keys,
from the secret store or Writable.InsecureSecrets) go into the URI; it is read at each connect,
so a secret stored over REST applies at the next reconnect. What this raises becomes the
camera's last error (redacted by the reader): the URI with credentials is never logged here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from service.edgex.commands import CommandClient
from service.edgex.stream_uri import onvif_stream_uri, start_usb_streaming, usb_stream_uri
from service.pipeline.errors import StreamCredentialsError
from service.streams.settings import StreamSettings
from service.streams.uri import inject_credentials

SecretLookup = Callable[[str], Mapping[str, str]]  # SecretName -> {key: value}; {} when unknown


def uri_provider(
    camera: str, settings: StreamSettings, commands: CommandClient, secrets: SecretLookup
) -> Callable[[], str]:
    """The function a camera's StreamReader calls at every connect for the URI to open."""

    def provide() -> str:
        if settings.Source == "onvif":
            uri = onvif_stream_uri(commands, camera, settings.ProfileToken)
        elif settings.Source == "usb":
            start_usb_streaming(commands, camera)
            uri = usb_stream_uri(commands, camera)
        else:
            uri = settings.Uri
        if not settings.SecretName:
            return uri
        secret = secrets(settings.SecretName)
        username = secret.get("username", "")
        if not username:
            raise StreamCredentialsError(
                f"camera {camera}: secret {settings.SecretName!r} is missing or has no 'username'"
            )
        return inject_credentials(uri, username, secret.get("password", ""))

    return provide
