"""Optional dependencies a recipe or executor declares, checked before any work starts.

A missing one stops the build with one line naming the module, the package to install and what
needs it (``ConfigError``), instead of an ``ImportError`` deep inside a worker.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from dataclasses import dataclass

from pipelines.core.errors import ConfigError


@dataclass(frozen=True)
class Requirement:
    module: str   # import name, e.g. "pycocotools"
    package: str  # pip name, e.g. "pycocotools"
    purpose: str  # what needs it, e.g. "revos: RLE masks"


def missing(requirements: Iterable[Requirement]) -> list[Requirement]:
    """The requirements whose module cannot be imported here."""
    return [r for r in requirements if importlib.util.find_spec(r.module) is None]


def check_requirements(requirements: Iterable[Requirement]) -> None:
    """Raise ``ConfigError`` (one line) naming every missing optional dependency."""
    absent = missing(requirements)
    if absent:
        needs = "; ".join(f"{r.purpose} needs {r.module} (pip install {r.package})" for r in absent)
        raise ConfigError(f"missing optional dependency: {needs}")
