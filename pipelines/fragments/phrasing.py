"""Question phrasings and option texts (data files under ``templates/fragments/``).

Each task file maps a question kind to ``{template id: text}``; :func:`load_phrasings` flattens
them into :class:`Phrasings`. A question draws its phrasing with the unit's RNG, so the phrasing
of a question depends only on (seed, question key).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pipelines.core.errors import InputError
from pipelines.core.paths import TEMPLATES_DIR
from pipelines.core.rng import UnitRng

FOLDER = TEMPLATES_DIR / "fragments"
TASK_FILES = ("frame_count", "meaning_of_order", "frame_comparison", "adjust_or_not", "rearrangement",
              "speed", "action", "effect")


@dataclass(frozen=True)
class Phrasings:
    """``kinds[kind]`` = ((template id, text), ...) in file order; ``options`` = options.yaml."""

    kinds: dict[str, tuple[tuple[str, str], ...]]
    options: dict[str, Any]

    def draw(self, rng: UnitRng, kind: str, **fields: str) -> tuple[str, str]:
        """(template id, question text) of one phrasing of ``kind``, filled with ``fields``."""
        template_id, text = rng.choice(self.kinds[kind])
        return template_id, text.format(**fields)

    def ordinal(self, position: int) -> str:
        """``1`` -> "first"."""
        return str(self.options["ordinals"][position - 1])


def _load(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(path, f"unreadable phrasing file ({exc.__class__.__name__})") from None
    if not isinstance(data, dict):
        raise InputError(path, "expected a mapping")
    return data


def load_phrasings(folder: Path = FOLDER) -> Phrasings:
    """Every task's phrasings (at least 5 per kind) and the option texts."""
    kinds: dict[str, tuple[tuple[str, str], ...]] = {}
    for name in TASK_FILES:
        path = folder / f"{name}.yaml"
        for kind, entries in _load(path).items():
            if not isinstance(entries, dict) or len(entries) < 5:
                raise InputError(path, f"{kind}: expected at least 5 phrasings (id: text)")
            kinds[str(kind)] = tuple((str(k), str(v)) for k, v in entries.items())
    return Phrasings(kinds, _load(folder / "options.yaml"))
