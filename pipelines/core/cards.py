"""Render data cards and HTML reports from Jinja2 templates kept as data files.

Cards come from ``data_cards/<name>.md.j2`` (YAML header + body) and reports from
``templates/report/<name>.html.j2``. Rendering is strict: a missing variable is an error, not an
empty string. Helpers exposed to templates: ``pct`` (0.25 -> "25.0%"), ``bar_svg`` (a horizontal
bar chart as inline SVG, so reports need no plotting library).
"""

from __future__ import annotations

import functools
import html
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from pipelines.core.paths import DATA_CARDS_DIR, TEMPLATES_DIR


def pct(value: float, digits: int = 1) -> str:
    return f"{100.0 * value:.{digits}f}%"


def bar_svg(data: Mapping[Any, float], width: int = 420, bar: int = 16, fmt: str = "{:g}") -> str:
    """A horizontal bar chart of ``label -> value`` as an inline SVG element."""
    items = list(data.items())
    label_w, value_w = 190, 70
    peak = max((v for _, v in items), default=0) or 1
    height = bar * len(items) + 6
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="sans-serif" font-size="11">']
    for i, (label, value) in enumerate(items):
        y = 3 + i * bar
        length = (width - label_w - value_w) * value / peak
        parts.append(f'<text x="{label_w - 6}" y="{y + bar - 5}" text-anchor="end">'
                     f"{html.escape(str(label))}</text>")
        parts.append(f'<rect x="{label_w}" y="{y + 2}" width="{length:.1f}" height="{bar - 4}" '
                     'fill="#4a7bd0"/>')
        parts.append(f'<text x="{label_w + length + 4:.1f}" y="{y + bar - 5}">'
                     f"{html.escape(fmt.format(value))}</text>")
    parts.append("</svg>")
    return "".join(parts)


def size_category(n: int) -> str:
    """The Hub's ``size_categories`` bucket for ``n`` rows."""
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                        (1_000_000, "100K<n<1M")):
        if n < limit:
            return name
    return "1M<n<10M"


@functools.lru_cache(maxsize=16)
def _environment(folder: Path) -> Environment:
    """One environment per folder and process, so each template is compiled once (Jinja2 checks
    the file's modification time before reusing it)."""
    env = Environment(loader=FileSystemLoader(folder), undefined=StrictUndefined,
                      keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["pct"] = pct
    env.filters["to_yaml"] = lambda value: yaml.safe_dump(value, sort_keys=False).rstrip()
    env.globals["bar_svg"] = bar_svg
    return env


def render_card(name: str, context: Mapping[str, Any], folder: Path = DATA_CARDS_DIR) -> str:
    """Render ``<folder>/<name>.md.j2``; the result must start with a parseable YAML header."""
    text = _environment(folder).get_template(f"{name}.md.j2").render(**context)
    if not text.startswith("---\n"):
        raise ValueError(f"data card {name} must start with a YAML header")
    yaml.safe_load(text.split("---\n", 2)[1])
    return text


def render_report(name: str, context: Mapping[str, Any], folder: Path = TEMPLATES_DIR / "report") -> str:
    return _environment(folder).get_template(f"{name}.html.j2").render(**context)
