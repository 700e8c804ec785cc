"""The revos card's statistics as a fold, fed one unit's rows per config at a time.

Only counters are kept (rows per config, the counted columns' values, the PixTRQA span
histogram, how many rows of each mask config carry masks) and the keyed sample of ``when_mcq``
rows the text-only model sees (core/reservoir.py: the sample ``blind`` takes of the whole list).
The report's sample rows and the sampled ``when_mcq`` items are built from one more pass over
the rows (:meth:`RowFold.replay`), whose positions the fold's counts give.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any

from pipelines.core.blind import ChoiceItem, sample_rank
from pipelines.core.reservoir import SegmentedSample, spread_positions
from pipelines.core.valuecounts import ValueCounts

Row = dict[str, Any]
Batches = Callable[[], Iterable[Mapping[str, Sequence[Row]]]]  # the rows again, per unit, in order
PIX = ("pixtrqa", "pixhqa", "pixrqa")
MASKED = (*PIX, "referring_segmentation")  # report samples: rows with masks only
PLAIN = ("temporal_grounding", "tracking", "spatial_grounding", "when_mcq")
CARDS = 3  # report samples per config
SAMPLE = 20_000  # when_mcq items the text-only model sees (blind's default subsample)
COUNTED = {**dict.fromkeys(PIX, ("description_source", "template_id")),
           "referring_segmentation": ("source", "mask_source", "template_id"),
           **dict.fromkeys(("temporal_grounding", "tracking", "spatial_grounding"), ("template_id",)),
           "when_mcq": ("answer",)}


def has_masks(config: str, row: Row) -> bool:
    """Whether ``row`` can be a report sample of ``config`` (mask configs: only with masks)."""
    return config not in MASKED or bool(row["masks"])


def when_item(row: Row) -> ChoiceItem:
    return ChoiceItem(row["id"], {"video": f'{row["dataset"]}/{row["video_id"]}'}, row["question"],
                      tuple(row["options"]), "ABCD".index(row["answer"]), "when")


class RowFold:
    def __init__(self, seed: int) -> None:
        self.rows: Counter[str] = Counter()
        self.values = ValueCounts(COUNTED)
        self.spans: Counter[str] = Counter()  # PixTRQA spans, by whole second
        self.samples: Counter[str] = Counter()  # rows that can be a report sample, per config
        self.when = SegmentedSample(SAMPLE, partial(sample_rank, seed))

    def add(self, config: str, rows: Sequence[Row]) -> None:
        self.rows[config] += len(rows)
        self.values.add(config, rows)
        self.samples[config] += sum(has_masks(config, r) for r in rows)
        if config == "pixtrqa":
            self.spans.update(f"{int(s)}-{int(s) + 1}s" for s in (r["end"] - r["start"] for r in rows))
        if config == "when_mcq":
            for r in rows:
                self.when.offer(config, 0, r["id"])

    def replay(self, batches: Batches) -> tuple[dict[str, list[Row]], list[ChoiceItem]]:
        """One more pass over the rows: the report's samples (per config, ``CARDS`` rows evenly
        spaced over those that can be one) and the sampled ``when_mcq`` items, in whole-list order."""
        wanted = {c: set(spread_positions(self.samples[c], CARDS)) for c in (*MASKED, *PLAIN)}
        seen: Counter[str] = Counter()
        picked: dict[str, list[Row]] = {c: [] for c in wanted}
        picker = self.when.picker(["when_mcq"])
        for batch in batches():
            for config, rows in batch.items():
                for row in rows:
                    if config == "when_mcq":
                        picker.take(config, 0, lambda row=row: when_item(row))
                    if config in wanted and has_masks(config, row):
                        if seen[config] in wanted[config]:
                            picked[config].append(row)
                        seen[config] += 1
        return picked, picker.items("when_mcq")

    def counts(self, configs: Iterable[str], column: str) -> dict[str, int]:
        """Rows per value of ``column`` over ``configs`` together, sorted by value."""
        total: Counter[str] = Counter()
        for config in configs:
            total.update(self.values.counter(config, column))
        return dict(sorted(total.items()))

