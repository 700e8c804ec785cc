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

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any

from pipelines.core.blind import (
    BinaryItem,
    ChoiceItem,
    blind_binary_report,
    blind_choice_report,
    sample_rank,
)
from pipelines.core.reservoir import KeyedSample
from pipelines.core.rng import UnitRng

Row = Mapping[str, Any]
PAIR_TARGET = 0.60  # a pair config a text-only model wins more often than this is flagged
MCQ_TARGET = 0.30


SAMPLE = 20_000  # items per config the text-only models see (a keyed sample beyond that)


def pair_item(r: Row, seed: int) -> ChoiceItem:
    chosen_second = UnitRng(seed, f"{r['id']}/blind").below(2) == 1
    options = (r["rejected"], r["chosen"]) if chosen_second else (r["chosen"], r["rejected"])
    return ChoiceItem(key=r["id"], groups={"video": r["video_id"]}, question=r["prompt"],
                      options=options, answer=int(chosen_second),
                      template=str(r.get("question_kind", r.get("dispreferred_kind", ""))))


def kto_item(r: Row, _seed: int) -> BinaryItem:
    return BinaryItem(key=r["id"], groups={"video": r["video_id"]}, question=r["prompt"],
                      text=r["completion"], label=bool(r["label"]))


def mcq_item(r: Row, _seed: int) -> ChoiceItem:
    return ChoiceItem(key=r["id"], groups={"video": r["video_id"]}, question=r["question"],
                      options=tuple(r["options"]), answer="ABCD".index(r["answer"]),
                      template=r["question_kind"])


ITEMS: dict[str, Callable[[Row, int], Any]] = {"dpo": pair_item, "kto": kto_item, "implicit": pair_item,
                                               "timewar_normal": mcq_item}


class TextOnlySample:
    """The rows each text-only model sees, as rows stream by: per config the keyed sample
    ``blind`` takes of the whole list (same rank, same limit), so the report equals the one from
    whole lists. Only sample positions are kept while the rows stream; :meth:`report` builds one
    config's items at a time from a second pass over the rows, then fits its models."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        rank = partial(sample_rank, seed)
        self.samples = {c: KeyedSample(SAMPLE, rank) for c in ITEMS}

    def add(self, config: str, rows: Sequence[Row]) -> None:
        if config in ITEMS:
            sample = self.samples[config]
            for r in rows:
                sample.offer(r["id"])

    def items(self, config: str, batches: Iterable[Mapping[str, Sequence[Row]]]) -> list[Any]:
        """The sampled items of ``config`` from ``batches`` (the same rows again, in order)."""
        make, wanted = ITEMS[config], iter(self.samples[config].positions())
        items, position, target = [], 0, next(wanted, None)
        for batch in batches:
            rows = batch.get(config, ())
            while target is not None and target < position + len(rows):
                items.append(make(rows[target - position], self.seed))
                target = next(wanted, None)
            position += len(rows)
        return items

    def report(self, batches: Callable[[], Iterable[Mapping[str, Sequence[Row]]]]
               ) -> dict[str, dict[str, Any]]:
        """Blind-model figures per config (see module docstring); ``batches()`` streams the rows
        again (per unit, or whole lists), once per config."""
        seed = self.seed
        return {
            "dpo": blind_choice_report(self.items("dpo", batches()), seed=seed, target=PAIR_TARGET,
                                       max_items=SAMPLE),
            "kto": blind_binary_report(self.items("kto", batches()), seed=seed, target=PAIR_TARGET,
                                       max_items=SAMPLE),
            "implicit": blind_choice_report(self.items("implicit", batches()), seed=seed,
                                            target=PAIR_TARGET, max_items=SAMPLE),
            "timewar_normal": blind_choice_report(self.items("timewar_normal", batches()), seed=seed,
                                                  target=MCQ_TARGET, max_items=SAMPLE),
        }


def text_only_report(records: Mapping[str, Sequence[Row]], seed: int) -> dict[str, dict[str, Any]]:
    """Blind-model figures per config from whole record lists."""
    sample = TextOnlySample(seed)
    for config in ITEMS:
        sample.add(config, records[config])
    return sample.report(lambda: [records])
