"""Which envelope form and event encoding this deployment uses (the EDGEX_MSG_* variables)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from service.edgex.envelope import EnvelopeForm

# EdgeX compares these variables with the exact string "true" (common.ValueTrue in go-mod-messaging
# and go-mod-core-contracts), not strconv.ParseBool: "1" or "True" leaves every Go service on JSON.
_TRUE = "true"


@dataclass(frozen=True, slots=True)
class WireFormat:
    """Envelope form + whether every event goes as CBOR + whether topic names are escaped."""

    form: EnvelopeForm = EnvelopeForm.NESTED_JSON
    encode_all_events_cbor: bool = False
    name_field_escape: bool = False

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], enable_name_field_escape: bool) -> WireFormat:
        """EDGEX_MSG_CBOR_ENCODE wins over EDGEX_MSG_BASE64_PAYLOAD (as in GMM's encoder)."""
        if environ.get("EDGEX_MSG_CBOR_ENCODE", "") == _TRUE:
            form = EnvelopeForm.CBOR
        elif environ.get("EDGEX_MSG_BASE64_PAYLOAD", "") == _TRUE:
            form = EnvelopeForm.BASE64_JSON
        else:
            form = EnvelopeForm.NESTED_JSON
        return cls(
            form=form,
            encode_all_events_cbor=environ.get("EDGEX_ENCODE_ALL_EVENTS_CBOR", "") == _TRUE,
            name_field_escape=enable_name_field_escape,
        )
