"""Consumer tests run only under ``make test-consumers``, which names the venv in
``FINEFORGE_CONSUMERS``; in ``make test`` they are skipped, so the default suite stays light."""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest


def require(venv: str, *modules: str) -> list[ModuleType]:
    """The consumer modules, imported for real in their venv (an ImportError is a failure there);
    anywhere else the calling test module is skipped."""
    if os.environ.get("FINEFORGE_CONSUMERS") != venv:
        pytest.skip(f"consumer test: run by `make test-consumers` ({venv} venv)", allow_module_level=True)
    return [importlib.import_module(m) for m in modules]
