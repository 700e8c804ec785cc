"""Build statistics of a timewarp build (card, report, summary), and the build-wide steps that
need every video: the cap on "Nothing" answers and the figures the card shows about events,
answers, perturbations, probe bands and text-only separability.

Pure functions over :class:`~pipelines.timewarp.units.VideoOutput` lists and record lists; the
outputs are in input order whatever the worker count, so the cap is deterministic.
"""

from __future__ import annotations

import hashlib
import math
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from pipelines.core.accounting import Ledger
from pipelines.timewarp.events import DROP_REASONS, normal_text
from pipelines.timewarp.probe import SECOND_BANDS
from pipelines.timewarp.separability import text_only_report
from pipelines.timewarp.temporal_qa import is_nothing
from pipelines.timewarp.units import CONFIGS, VideoOutput

Row = dict[str, Any]
PAIR_CONFIGS = ("sft", "dpo", "kto")


def build_stats(outputs: list[VideoOutput], records: dict[str, list[dict[str, Any]]],
                ledger: Ledger) -> dict[str, Any]:
    kept = [o.trimmed for o in outputs if o.trimmed is not None]
    lengths = [t.clip_end - t.clip_start for t in kept]
    scene_lengths = [s.end - s.start for t in kept for s in t.scenes]
    letters = Counter(r["answer"] for r in records["timewar_normal"])
    return {
        "videos_in": len(outputs), "videos_kept": len(kept),
        "rejected_by_reason": dict(sorted(ledger.stage("videos").rejected.items())),
        "scenes_per_video": dict(sorted(Counter(len(t.scenes) for t in kept).items())),
        "trim_stop_reasons": dict(sorted(Counter(t.stop_reason for t in kept).items())),
        "mean_clip_seconds": sum(lengths) / len(lengths) if lengths else 0.0,
        "mean_scene_seconds": sum(scene_lengths) / len(scene_lengths) if scene_lengths else 0.0,
        "clip_seconds_histogram": dict(sorted(Counter(int(x // 15) * 15 for x in lengths).items())),
        "perturbation_counts": dict(sorted(Counter(o.perturbation for o in outputs if o.trimmed).items())),
        "pairs_dropped_order_insensitive": ledger.stage("qa_pairs").rejected.get("order_insensitive", 0),
        "timewar_letters": {k: letters.get(k, 0) for k in "ABCD"},
        "rows": {c: len(records[c]) for c in CONFIGS},
    }


def _has_nothing(row: Row) -> bool:
    return is_nothing(row["chosen"]) or is_nothing(row["rejected"])


def allowed_nothing(total: int, nothing: int, max_share: float) -> int:
    """Most "Nothing" pairs that may stay so that they are at most ``max_share`` of the pairs
    left once the others are dropped: keep <= share * (total - nothing + keep)."""
    if max_share >= 1:
        return nothing
    return min(nothing, math.floor(max_share * (total - nothing) / (1 - max_share) + 1e-9))


def cap_nothing(outputs: Sequence[VideoOutput], max_share: float) -> int:
    """Drop "Nothing" pairs beyond ``max_share`` of all pairs (rejection ``nothing_share_cap``),
    the ones with the highest hash of their id first. Returns how many were dropped."""
    pairs = [(o, r) for o in outputs for r in o.records["dpo"]]
    nothing = [(o, r) for o, r in pairs if _has_nothing(r)]
    keep = allowed_nothing(len(pairs), len(nothing), max_share)
    nothing.sort(key=lambda item: hashlib.sha256(item[1]["id"].encode()).hexdigest())
    for output, row in nothing[keep:]:
        key = row["id"]
        for config in PAIR_CONFIGS:
            output.records[config] = [r for r in output.records[config]
                                      if r["id"] != key and r.get("pair_id") != key]
        output.stage_accepted["qa_pairs"] -= 1
        output.rejects.append(("qa_pairs", key, "nothing_share_cap", row["question_kind"]))
    return len(nothing) - keep


def event_stats(outputs: Sequence[VideoOutput]) -> dict[str, Any]:
    """Events and dropped activities of the kept videos; ``titles_as_events`` counts events whose
    text is a kept scene's title (0 by construction: titles never stand in for events)."""
    kept = [o.trimmed for o in outputs if o.trimmed is not None]
    titles = sum(normal_text(e.description) in {normal_text(s.title) for s in t.scenes if s.title}
                 for t in kept for e in t.events)
    dropped = Counter(e.dropped for t in kept for e in t.timeline if e.dropped)
    return {"events": sum(len(t.events) for t in kept), "titles_as_events": titles,
            "scenes_without_events": sum(not any(e.scene == s.index for e in t.events)
                                         for t in kept for s in t.scenes),
            "dropped_activities": {r: dropped.get(r, 0) for r in DROP_REASONS}}


def answer_stats(dpo: Sequence[Row], dropped_by_cap: int, max_share: float) -> dict[str, Any]:
    pairs = len(dpo)
    nothing = sum(_has_nothing(r) for r in dpo)
    return {"pairs": pairs, "nothing_pairs": nothing,
            "nothing_share": round(nothing / pairs, 4) if pairs else 0.0,
            "nothing_chosen": sum(is_nothing(r["chosen"]) for r in dpo),
            "nothing_rejected": sum(is_nothing(r["rejected"]) for r in dpo),
            "nothing_max_share": max_share, "nothing_dropped_by_cap": dropped_by_cap}


def perturbation_by_scenes(outputs: Sequence[VideoOutput]) -> dict[str, dict[str, int]]:
    table: dict[str, Counter[str]] = {}
    for o in outputs:
        if o.trimmed is not None:
            table.setdefault(str(len(o.trimmed.scenes)), Counter())[o.perturbation] += 1
    return {k: dict(sorted(v.items())) for k, v in sorted(table.items(), key=lambda kv: int(kv[0]))}


def probe_band_seconds(probe: Sequence[Row]) -> dict[str, dict[str, Any]]:
    """Per band: statements, pairs, seconds between the two events (min / quartiles / max) and
    how many pairs fall in the band's nominal separation (10-20 s, 20-30 s, >= 30 s)."""
    out: dict[str, dict[str, Any]] = {}
    for band, (low, high) in SECOND_BANDS.items():
        rows = [r for r in probe if r["distance"] == band]
        gaps = sorted(r["gap_seconds"] for r in rows[::4])  # four statements per ordered pair
        if not gaps:
            out[band] = {"statements": 0, "pairs": 0}
            continue
        quartiles = statistics.quantiles(gaps, n=4) if len(gaps) > 1 else [gaps[0]] * 3
        out[band] = {"statements": len(rows), "pairs": len(gaps), "min": round(gaps[0], 1),
                     "q1": round(quartiles[0], 1), "median": round(quartiles[1], 1),
                     "q3": round(quartiles[2], 1), "max": round(gaps[-1], 1),
                     "in_nominal_range": sum(low <= g < high for g in gaps),
                     "histogram_10s": dict(sorted(Counter(
                         f"{int(g // 10) * 10}-{int(g // 10) * 10 + 10}" for g in gaps).items(),
                         key=lambda kv: int(kv[0].split("-")[0])))}
    return out


def recipe_stats(outputs: Sequence[VideoOutput], records: Mapping[str, Sequence[Row]],
                 dropped_by_cap: int, max_share: float, seed: int) -> dict[str, Any]:
    """Everything above and the text-only separability of every preference config, for the card."""
    return {"events": event_stats(outputs), "text_only": text_only_report(records, seed),
            "answers": answer_stats(records["dpo"], dropped_by_cap, max_share),
            "perturbation_by_scene_count": perturbation_by_scenes(outputs),
            "probe_bands": probe_band_seconds(records["ordering_probe"])}
