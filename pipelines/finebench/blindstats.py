"""The core blind (text-only) model on a finebench build, and the issue-8 acceptance figures.

``blind_report`` feeds every question (or a keyed sample of ``max_items``) to
:func:`pipelines.core.blind.blind_choice_report`, grouped by video and by keyframe, so a model
is always tested on videos / keyframes it was not trained on. ``acceptance`` puts the three
figures a user checks first side by side: the best blind accuracy against the target, the share
of the units the CSV offers that became questions, and each category's share of the questions
against its share of those units.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from pipelines.core.blind import ChoiceItem, blind_choice_report

BLIND_TARGET = 0.30
SHARE_TOLERANCE = 0.05
KEPT_TARGET = 0.60
LETTERS = "ABCD"


def choice_items(table: pa.Table) -> list[ChoiceItem]:
    columns = {name: table.column(name).to_pylist()
               for name in ("id", "video_id", "timestamp", "question", "options", "answer", "template_id")}
    return [ChoiceItem(key, {"video": video, "keyframe": f"{video}@{stamp}"}, question, tuple(options),
                       LETTERS.index(answer), template)
            for key, video, stamp, question, options, answer, template in zip(
                *columns.values(), strict=True)]


def blind_report(table: pa.Table, seed: int, max_items: int) -> dict[str, Any] | None:
    """The core report (see blind.py), or None when ``max_items`` is 0 (not computed)."""
    if max_items <= 0:
        return None
    return blind_choice_report(choice_items(table), seed=seed, target=BLIND_TARGET, max_items=max_items)


def acceptance(questions_by_category: Mapping[str, int], offered: Mapping[str, int],
               blind: Mapping[str, Any] | None) -> dict[str, Any]:
    """Blind best vs target, kept share of the offered units, category shares vs the offered ones."""
    asked, total = sum(questions_by_category.values()), sum(offered.values())
    shares = {c: {"questions": questions_by_category.get(c, 0) / asked if asked else 0.0,
                  "units": n / total if total else 0.0} for c, n in sorted(offered.items())}
    gap = max((abs(s["questions"] - s["units"]) for s in shares.values()), default=0.0)
    best = blind["best"] if blind else None
    return {"blind_best": best, "blind_target": BLIND_TARGET,
            "blind_ok": None if best is None else bool(best <= BLIND_TARGET + 1e-12),
            "kept": asked / total if total else 0.0, "kept_target": KEPT_TARGET,
            "kept_ok": bool(total and asked / total >= KEPT_TARGET - 1e-12),
            "units_offered": total, "category_shares": shares, "largest_share_gap": float(np.float64(gap)),
            "share_tolerance": SHARE_TOLERANCE, "shares_ok": bool(gap <= SHARE_TOLERANCE + 1e-12)}
