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

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import partial
from typing import Any

from pipelines.core.blind import FEATURE_BUDGET as FEATURE_BUDGET  # the one budget, settable here
from pipelines.core.blind import (
    BinaryItem,
    ChoiceItem,
    blind_binary_report,
    blind_choice_report,
    feature_count,
    sample_rank,
)
from pipelines.core.reservoir import KeyedSample, within_budget
from pipelines.core.rng import UnitRng

Row = Mapping[str, Any]
PAIR_TARGET = 0.60  # a pair config a text-only model wins more often than this is flagged
MCQ_TARGET = 0.30


SAMPLE = 20_000  # items per config the text-only models see at most (a keyed sample beyond that)


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
TARGETS = {"dpo": PAIR_TARGET, "kto": PAIR_TARGET, "implicit": PAIR_TARGET, "timewar_normal": MCQ_TARGET}
Batches = Callable[[], Iterable[Mapping[str, Sequence[Row]]]]


class TextOnlySample:
    """The rows each text-only model sees, as rows stream by, per config: the ``SAMPLE`` rows of
    lowest keyed rank (``blind``'s own subsample, so the same set on every executor and worker
    count), then of those, in rank order, as many as fit in ``FEATURE_BUDGET`` hashed features.

    The budget bounds the driver's memory: the models' feature matrix, the copies their solver
    makes and the item texts grow with the features sampled, not with the input (the checks of a
    2,000-video build held ~20,000 items and peaked ~150 MB above the rest of the build, a
    16,000-video one ~1 GB). At 2,000,000 features the FineVideo-shaped configs keep ~800 (implicit),
    ~2,500 (TimeWar), ~4,500 (dpo), ~9,500 (kto) items: the 95% interval of an accuracy p over n
    items, ±1.96·sqrt(p(1-p)/n), is ±3.4 / ±1.8 / ±1.4 / ±1.0 points at the 60% / 30% targets.

    Only sample positions are kept while the rows stream; :meth:`report` then takes two more
    passes over the rows per config (one to count each sampled item's features, one to build the
    items within budget) and fits that config's models before the next one."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        rank = partial(sample_rank, seed)
        self.samples = {c: KeyedSample(SAMPLE, rank) for c in ITEMS}

    def add(self, config: str, rows: Sequence[Row]) -> None:
        if config in ITEMS:
            sample = self.samples[config]
            for r in rows:
                sample.offer(r["id"])

    def _sampled(self, config: str, wanted: Iterable[int], batches: Iterable[Mapping[str, Sequence[Row]]]
                 ) -> Iterator[tuple[int, Any]]:
        """(position, item) of ``config`` at the ``wanted`` stream positions (ascending)."""
        make, targets = ITEMS[config], iter(wanted)
        position, target = 0, next(targets, None)
        for batch in batches:
            rows = batch.get(config, ())
            while target is not None and target < position + len(rows):
                yield target, make(rows[target - position], self.seed)
                target = next(targets, None)
            position += len(rows)

    def items(self, config: str, batches: Batches) -> list[Any]:
        """The sampled items of ``config`` within the feature budget, in stream order, from
        ``batches()`` (the same rows again, in order; called twice)."""
        ranked = [(sample_rank(self.seed, item.key), position, feature_count(item))
                  for position, item in self._sampled(config, self.samples[config].positions(), batches())]
        kept = within_budget(ranked, FEATURE_BUDGET)
        return [item for _, item in self._sampled(config, sorted(kept), batches())]

    def report(self, batches: Batches) -> dict[str, dict[str, Any]]:
        """Blind-model figures per config (see module docstring), one config at a time;
        ``batches()`` streams the rows again (per unit, or whole lists), twice per config."""
        reports = {}
        for config, target in TARGETS.items():
            fit = blind_binary_report if config == "kto" else blind_choice_report
            reports[config] = fit(self.items(config, batches), seed=self.seed, target=target,
                                  max_items=SAMPLE)
        return reports


def text_only_report(records: Mapping[str, Sequence[Row]], seed: int) -> dict[str, dict[str, Any]]:
    """Blind-model figures per config from whole record lists."""
    sample = TextOnlySample(seed)
    for config in ITEMS:
        sample.add(config, records[config])
    return sample.report(lambda: [records])
