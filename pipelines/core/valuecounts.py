"""How often each value of chosen columns occurs, per config: a card statistic as a fold.

Fed one batch of rows at a time (a unit's, or whole lists): only counters are kept, so the
counts equal those over the whole lists whatever the batches. Values are counted as text
(``str(value)``) and reported sorted by value.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any


def sorted_counts(counter: Mapping[Any, int]) -> dict[Any, int]:
    return dict(sorted(counter.items()))


class ValueCounts:
    """``columns``: per config, the columns whose values are counted."""

    def __init__(self, columns: Mapping[str, Sequence[str]]) -> None:
        self.columns = columns
        self.values: dict[tuple[str, str], Counter[str]] = {}

    def add(self, config: str, rows: Sequence[Mapping[str, Any]]) -> None:
        for column in self.columns.get(config, ()):
            self.values.setdefault((config, column), Counter()).update(str(r[column]) for r in rows)

    def counter(self, config: str, column: str) -> Counter[str]:
        return self.values.get((config, column), Counter())

    def counts(self, config: str, column: str) -> dict[str, int]:
        """Rows per value of ``column`` in ``config``, sorted by value."""
        return sorted_counts(self.counter(config, column))
