"""Recipes by name. The CLI and the run-contract tests look recipes up here, so nothing in core or
in the top-level CLI imports a recipe module directly (and recipes import only core).

To add a recipe: one line ``"<name>": "pipelines.<name>.recipe"``; that module defines ``RECIPE``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from pipelines.core.errors import ConfigError

if TYPE_CHECKING:
    from pipelines.core.recipe import Recipe

RECIPES: dict[str, str] = {
    "finebench": "pipelines.finebench.recipe",
    "timewarp": "pipelines.timewarp.recipe",
    "revos": "pipelines.revos.recipe",
    "fragments": "pipelines.fragments.recipe",
}


def recipe_names() -> list[str]:
    return list(RECIPES)


def load_recipe(name: str) -> Recipe:
    """The ``RECIPE`` of the module registered as ``name``."""
    if name not in RECIPES:
        raise ConfigError(f"unknown recipe {name!r} (available: {', '.join(RECIPES)})")
    return importlib.import_module(RECIPES[name]).RECIPE
