"""Can a metadata classifier pick the original clip out of its re-ordered variants?

Input: groups of renders of one source (the original order and its permutations), each render
described by named numeric fields (:meth:`StreamStats.fields`; tuples such as key-frame times
are compared whole). Pure functions, no I/O.

- :func:`field_hits` scores, for each field, the two one-field rules "the original is the render
  with the smallest value" and "... the largest value": a group counts ``1/k`` when the rule ties
  ``k`` renders including the original (a coin toss among them), 1 when it singles out the
  original, 0 otherwise. Chance is ``1/len(group)``; a field that never differs scores chance.
- :func:`stump_accuracy` is the simple classifier over all fields: leave one group out, pick the
  (field, direction) rule that scored best on the other groups, apply it to the held-out group.
- :func:`leak_report` puts both side by side with chance and flags the figures above it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

Fields = Mapping[str, Any]
Group = Sequence[Fields]  # renders of one source; index 0 is the original order


def _key(value: Any) -> Any:
    return tuple(value) if isinstance(value, list | tuple) else value


def _rule_score(group: Group, field: str, largest: bool) -> float:
    values = [_key(g[field]) for g in group]
    if any(isinstance(v, tuple) for v in values):
        # sequences have no order worth a rule: the original stands out only if it is unique
        unique = values.count(values[0]) == 1 and len(set(values[1:])) == 1
        tied = values.count(values[0])
        return 1.0 if unique else 1.0 / tied if len(set(values)) == 1 else 0.0
    best = max(values) if largest else min(values)
    tied = values.count(best)
    return 1.0 / tied if values[0] == best else 0.0


def field_hits(groups: Sequence[Group]) -> dict[str, dict[str, float]]:
    """Per field: share of groups whose original the smallest / largest value picks."""
    names = sorted(groups[0][0]) if groups else []
    out: dict[str, dict[str, float]] = {}
    for name in names:
        small = sum(_rule_score(g, name, False) for g in groups) / len(groups)
        large = sum(_rule_score(g, name, True) for g in groups) / len(groups)
        out[name] = {"smallest": round(small, 4), "largest": round(large, 4)}
    return out


def stump_accuracy(groups: Sequence[Group]) -> float:
    """Leave-one-group-out accuracy of the best single-field rule learned on the other groups."""
    if len(groups) < 2:
        return 0.0
    names = sorted(groups[0][0])
    rules = [(n, d) for n in names for d in (False, True)]
    scores = {r: [_rule_score(g, *r) for g in groups] for r in rules}
    total = 0.0
    for held in range(len(groups)):
        best = max(rules, key=lambda r: (sum(scores[r]) - scores[r][held], r[0], r[1]))
        total += scores[best][held]
    return round(total / len(groups), 4)


def leak_report(groups: Sequence[Group], margin: float = 0.0) -> dict[str, Any]:
    """Figures per field and for the stump classifier next to chance; ``leaks`` lists every
    figure above ``chance + margin``."""
    chance = round(sum(1 / len(g) for g in groups) / len(groups), 4) if groups else 0.0
    hits = field_hits(groups)
    stump = stump_accuracy(groups)
    leaks = [f"{name} ({side}): {value:.2f}" for name, sides in hits.items()
             for side, value in sides.items() if value > chance + margin]
    if stump > chance + margin:
        leaks.append(f"stump classifier: {stump:.2f}")
    return {"groups": len(groups), "chance": chance, "fields": hits, "stump": stump,
            "leaks": leaks}
