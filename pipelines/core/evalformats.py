"""Building blocks shared by every recipe's evaluator exports (VLMEvalKit TSV, lmms-eval JSONL).

Contracts:
- :func:`candidates_literal` renders options as ``["A. ...", "B. ...", ...]``, a string that parses
  with both ``json.loads`` and ``ast.literal_eval`` to the same list (VLMEvalKit's convention).
- :func:`tsv_text` writes tab-separated text with minimal CSV quoting (fields holding tabs, quotes
  or newlines are quoted), which ``pandas.read_csv(sep="\\t")`` reads back losslessly -- except a
  lone ``\\r``, which Python 3.11's ``csv`` leaves unquoted and pandas reads as a line break.
- :func:`jsonl_text` writes one JSON object per line, keys in the given order, UTF-8 kept.
- :func:`export_templates` is the strict Jinja2 environment over ``templates/exports/``.
- :func:`render_export` renders one of them with the shared scorer pieces embedded verbatim
  (:data:`EMBEDDED`: the reply parser and the frame helper), so an exported file works on its own
  inside the consumer and scores exactly as the tested modules do.

Column-wise equivalents for large exports are in :mod:`pipelines.core.evalcolumns`.
"""

from __future__ import annotations

import csv
import functools
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from pipelines.core import answers, evalframes
from pipelines.core.paths import TEMPLATES_DIR

LETTERS = "ABCDEFGHIJ"
EMBEDDED = {"answers_source": answers, "frames_source": evalframes}  # template variable -> module


def candidates_literal(options: Sequence[str]) -> str:
    """``["A. ...", "B. ...", ...]``: valid as JSON and as a Python literal."""
    labelled = [f"{LETTERS[i]}. {o}" for i, o in enumerate(options)]
    if any('"' in o or "\\" in o or not o.isprintable() for o in options):
        return json.dumps(labelled, ensure_ascii=False)
    return "[" + ", ".join(f'"{o}"' for o in labelled) + "]"


TSV_DIALECT: dict[str, Any] = {"delimiter": "\t", "lineterminator": "\n", "quoting": csv.QUOTE_MINIMAL}


def tsv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A TSV document: ``header`` then ``rows`` (values are str()-converted by ``csv``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, **TSV_DIALECT)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def jsonl_text(rows: Iterable[Mapping[str, Any]]) -> str:
    """One compact JSON object per line (key order preserved, non-ASCII kept)."""
    return "".join(json.dumps(dict(r), ensure_ascii=False) + "\n" for r in rows)


@functools.lru_cache(maxsize=1)
def export_templates() -> Environment:
    """Strict Jinja2 environment over ``templates/exports`` (a missing variable is an error).

    One per process: Jinja2 keeps each compiled template in its environment (recompiling only when
    the file changes), and compiling costs ~25 ms a template, more than rendering it."""
    return Environment(loader=FileSystemLoader(TEMPLATES_DIR / "exports"), undefined=StrictUndefined,
                       keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)


def embedded_source(module: Any) -> str:
    """The text of a module's source file, as embedded into exports."""
    return Path(module.__file__).read_text(encoding="utf-8")


PARSER_IMPORT = "from pipelines.core.answers import parse_choice\n"


def with_embedded_parser(source: str) -> str:
    """An export file's text whose ``from pipelines.core.answers import parse_choice`` line is
    replaced by the parser's own source, so the file runs inside the consumer without FineForge
    installed and scores exactly as the tested parser does."""
    if PARSER_IMPORT not in source:
        raise ValueError("the export does not import pipelines.core.answers.parse_choice")
    block = ("# ==== begin pipelines/core/answers.py (embedded verbatim by FineForge) ====\n"
             f"{embedded_source(answers)}# ==== end pipelines/core/answers.py ====\n")
    return source.replace(PARSER_IMPORT, block, 1)


def render_export(template: str, **values: Any) -> str:
    """``templates/exports/<template>`` rendered with ``values`` and every :data:`EMBEDDED` source."""
    sources = {name: embedded_source(module) for name, module in EMBEDDED.items()}
    return export_templates().get_template(template).render(**sources, **values)
