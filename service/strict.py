"""Base class for every configuration and REST-body model: unknown keys are errors."""

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """Rejects unknown keys, validates on assignment, and is immutable once built."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)
