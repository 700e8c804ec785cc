"""One additive, picklable record of what a work unit counted: per stage, the units that came in
and the units accepted, plus every rejection in the order it happened.

Units fill a :class:`Tally`; the orchestrator adds them into the build's :class:`Ledger` in pass
order, then unit order (:func:`absorb`), so the ledger and ``rejects.jsonl`` are the same whatever
executor ran the units. Tallies add up (``a + b``, :meth:`Tally.merge`), like datatrove's and NeMo
Curator's stats objects, so any executor can combine them.

Bulk rejections (thousands per unit in finebench) go through :meth:`Tally.reject_many`, one list
extension; single ones through :meth:`Tally.reject`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter

from pipelines.core.accounting import Ledger, Reject

Rejection = tuple[str, str, str, str]  # (stage, unit key, reason, detail)
_STAGE_REASON = itemgetter(0, 2)


@dataclass
class Tally:
    inputs: dict[str, int] = field(default_factory=dict)
    accepted: dict[str, int] = field(default_factory=dict)
    rejects: list[Rejection] = field(default_factory=list)

    def count(self, stage: str, inputs: int, accepted: int) -> None:
        """Add ``inputs`` units of ``stage``, ``accepted`` of which produced output."""
        self.inputs[stage] = self.inputs.get(stage, 0) + inputs
        self.accepted[stage] = self.accepted.get(stage, 0) + accepted

    def reject(self, stage: str, unit: str, reason: str, detail: str = "") -> None:
        """Record one rejection (count it as an input of ``stage`` too)."""
        self.rejects.append((stage, unit, reason, detail))

    def reject_many(self, stage: str, rejections: Iterable[tuple[str, str, str]]) -> None:
        """Record many ``(unit key, reason, detail)`` rejections of one stage, in order."""
        self.rejects.extend([(stage, unit, reason, detail) for unit, reason, detail in rejections])

    def merge(self, other: Tally) -> None:
        """Add ``other`` into this tally (its rejections come after this one's)."""
        for stage in dict.fromkeys([*other.inputs, *other.accepted]):
            self.count(stage, other.inputs.get(stage, 0), other.accepted.get(stage, 0))
        self.rejects.extend(other.rejects)

    def __add__(self, other: Tally) -> Tally:
        total = Tally()
        total.merge(self)
        total.merge(other)
        return total


def absorb(ledger: Ledger, tallies: Sequence[Tally]) -> None:
    """Add ``tallies`` into ``ledger`` in the given order (per tally: counts, then rejections)."""
    for tally in tallies:
        for stage, n in tally.inputs.items():
            ledger.add_inputs(stage, n)
            ledger.accept(stage, tally.accepted.get(stage, 0))
        for stage, n in tally.accepted.items():
            if stage not in tally.inputs:
                ledger.accept(stage, n)
        for (stage, reason), n in Counter(map(_STAGE_REASON, tally.rejects)).items():
            ledger.stage(stage).rejected[reason] += n
        ledger.rejects.extend(map(Reject._make, tally.rejects))
