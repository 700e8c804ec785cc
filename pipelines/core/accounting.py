"""Rejections and count reconciliation (the "accounted" part of the run contract).

Every input unit of a stage ends either accepted (it produced records) or rejected with a reason
code. :class:`Ledger` collects both per stage and can prove ``input = accepted + rejected`` per
stage, which the manifest records and the tests check.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Reject:
    """One rejected unit: the stage that rejected it, its stable key, a reason code, detail."""

    stage: str
    unit: str
    reason: str
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"stage": self.stage, "unit": self.unit, "reason": self.reason, "detail": self.detail}


@dataclass
class StageCount:
    inputs: int = 0
    accepted: int = 0
    rejected: Counter[str] = field(default_factory=Counter)

    def reconciles(self) -> bool:
        return self.inputs == self.accepted + sum(self.rejected.values())

    def to_json(self) -> dict[str, Any]:
        return {"inputs": self.inputs, "accepted": self.accepted,
                "rejected": dict(sorted(self.rejected.items())),
                "rejected_total": sum(self.rejected.values()), "reconciles": self.reconciles()}


class Ledger:
    """Per-stage counts plus the list of rejections, in a deterministic order."""

    def __init__(self) -> None:
        self.stages: dict[str, StageCount] = {}
        self.rejects: list[Reject] = []

    def stage(self, name: str) -> StageCount:
        return self.stages.setdefault(name, StageCount())

    def add_inputs(self, stage: str, n: int) -> None:
        self.stage(stage).inputs += n

    def accept(self, stage: str, n: int = 1) -> None:
        self.stage(stage).accepted += n

    def reject(self, reject: Reject) -> None:
        self.stage(reject.stage).rejected[reject.reason] += 1
        self.rejects.append(reject)

    def reconciles(self) -> bool:
        return all(count.reconciles() for count in self.stages.values())

    def to_json(self) -> dict[str, Any]:
        return {name: count.to_json() for name, count in self.stages.items()}
