"""Base class for typed recipe parameters: pydantic, unknown fields rejected, immutable."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """Parameters model: an unknown or mistyped field is an error, never silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)
