"""Command line: ``python -m pipelines <recipe> <action> [options]`` (see ``--help``).

Recipes are found by name in :mod:`pipelines.core.registry`; each one's subcommands come from its
declared :class:`~pipelines.core.recipe.Recipe` (:mod:`pipelines.core.cli`). Errors in inputs,
parameters or outputs are printed as one line (``error: <file>:<line>: <problem>``) with exit
status 2; no traceback is shown for them. Every printed line passes through the redaction layer.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from pipelines.core.cli import add_recipe
from pipelines.core.errors import FineForgeError, OutputError, is_output_fault
from pipelines.core.redact import install_log_redaction, redact
from pipelines.core.registry import load_recipe, recipe_names


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipelines",
                                     description="FineForge: fine-grained video-understanding datasets "
                                                 "from raw annotations.")
    recipes = parser.add_subparsers(dest="recipe", required=True, metavar="RECIPE")
    for name in recipe_names():
        add_recipe(recipes, load_recipe(name))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    install_log_redaction()
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except FineForgeError as exc:
        return _fail(str(exc))
    except ValidationError as exc:
        first = exc.errors()[0]
        return _fail(f"invalid parameter {'.'.join(map(str, first['loc'])) or 'value'}: {first['msg']}")
    except OSError as exc:  # a write refused below the atomic writers (e.g. a library's own file)
        if is_output_fault(exc):
            return _fail(str(OutputError.from_os_error(exc.filename or "output", exc)))
        raise


def _fail(message: str) -> int:
    print(f"error: {redact(' '.join(message.split()))}", file=sys.stderr)
    return 2
