"""Output decoders, by name (see catalog.DECODERS)."""

from service.vision.decoders.base import Decoder, DecoderInput, FoldingDecoder, OutputInfo
from service.vision.decoders.catalog import DECODERS, PER_ITEM_DECODERS, create_decoder

__all__ = [
    "DECODERS",
    "PER_ITEM_DECODERS",
    "Decoder",
    "DecoderInput",
    "FoldingDecoder",
    "OutputInfo",
    "create_decoder",
]
