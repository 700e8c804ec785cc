"""Phrasing pools (``templates/revos/*.yaml``), loaded once per process."""

from __future__ import annotations

import functools
from typing import Any

import yaml

from pipelines.core.paths import TEMPLATES_DIR

FOLDER = TEMPLATES_DIR / "revos"


@functools.cache
def pool(name: str) -> dict[str, Any]:
    """``templates/revos/<name>.yaml`` as a dict (``tpo`` or ``pix_qa``)."""
    with open(FOLDER / f"{name}.yaml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)
