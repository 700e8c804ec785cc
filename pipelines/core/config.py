"""Base class for typed recipe parameters: pydantic, unknown fields rejected, immutable."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """Parameters model: an unknown or mistyped field is an error, never silently ignored; floats
    must be finite (``inf``/``nan`` would write non-JSON into the manifest)."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False)
