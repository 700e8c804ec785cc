"""End-of-run summary table (plain text, printed to stderr by the CLI)."""

from __future__ import annotations

import time
from collections.abc import Mapping

from pipelines.core.accounting import Ledger


def format_summary(title: str, ledger: Ledger, outputs: Mapping[str, object]) -> str:
    rows = [("stage", "inputs", "accepted", "rejected", "top reasons")]
    for name, count in ledger.stages.items():
        reasons = ", ".join(f"{r}={n}" for r, n in count.rejected.most_common(3))
        rows.append((name, str(count.inputs), str(count.accepted), str(sum(count.rejected.values())),
                     reasons or "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [f"== {title} =="]
    for row in rows:
        lines.append("  ".join(cell.ljust(widths[i]) if i < 4 else cell for i, cell in enumerate(row)))
    lines.append(f"reconciled: {'yes' if ledger.reconciles() else 'NO'}")
    lines += [f"{key}: {value}" for key, value in outputs.items()]
    return "\n".join(lines)


class Stopwatch:
    """Wall-clock seconds per named step (for the summary; never written to the manifest)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = self.seconds.get(name, 0.0) + now - self._last
        self._last = now

    def format(self) -> str:
        return ", ".join(f"{name} {sec:.2f}s" for name, sec in self.seconds.items())
