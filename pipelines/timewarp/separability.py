"""Text-only separability of every preference config (and TimeWar), with ``pipelines.core.blind``.

A model that reads only the texts (prompt and responses, never the video) is trained and tested
with group k-fold by video:
- ``dpo`` and ``implicit``: a two-option choice between chosen and rejected, shown in an order
  drawn per pair from ``UnitRng(seed, "<id>/blind")`` (never chosen-first); chance 0.5;
- ``kto``: desirable vs undesirable from the completion text alone; chance = majority share
  (each completion appears once desirable and once undesirable, on different clips);
- ``timewar_normal``: the four-option MCQ; chance 0.25.
A config whose pairs the text-only model separates well above chance teaches text cues, not
temporal perception; the card prints these figures next to chance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pipelines.core.blind import BinaryItem, ChoiceItem, blind_binary_report, blind_choice_report
from pipelines.core.rng import UnitRng

Row = Mapping[str, Any]
PAIR_TARGET = 0.60  # a pair config a text-only model wins more often than this is flagged
MCQ_TARGET = 0.30


def pair_items(rows: Sequence[Row], seed: int, prompt_key: str = "prompt") -> list[ChoiceItem]:
    items = []
    for r in rows:
        chosen_second = UnitRng(seed, f"{r['id']}/blind").below(2) == 1
        options = (r["rejected"], r["chosen"]) if chosen_second else (r["chosen"], r["rejected"])
        items.append(ChoiceItem(key=r["id"], groups={"video": r["video_id"]}, question=r[prompt_key],
                                options=options, answer=int(chosen_second),
                                template=str(r.get("question_kind", r.get("dispreferred_kind", "")))))
    return items


def kto_items(rows: Sequence[Row]) -> list[BinaryItem]:
    return [BinaryItem(key=r["id"], groups={"video": r["video_id"]}, question=r["prompt"],
                       text=r["completion"], label=bool(r["label"])) for r in rows]


def mcq_items(rows: Sequence[Row]) -> list[ChoiceItem]:
    return [ChoiceItem(key=r["id"], groups={"video": r["video_id"]}, question=r["question"],
                       options=tuple(r["options"]), answer="ABCD".index(r["answer"]),
                       template=r["question_kind"]) for r in rows]


def text_only_report(records: Mapping[str, Sequence[Row]], seed: int) -> dict[str, dict[str, Any]]:
    """Blind-model figures per config (see module docstring)."""
    return {
        "dpo": blind_choice_report(pair_items(records["dpo"], seed), seed=seed, target=PAIR_TARGET),
        "kto": blind_binary_report(kto_items(records["kto"]), seed=seed, target=PAIR_TARGET),
        "implicit": blind_choice_report(pair_items(records["implicit"], seed), seed=seed,
                                        target=PAIR_TARGET),
        "timewar_normal": blind_choice_report(mcq_items(records["timewar_normal"]), seed=seed,
                                              target=MCQ_TARGET),
    }
