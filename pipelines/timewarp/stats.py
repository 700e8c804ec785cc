"""Build statistics of a timewarp build (card, report, summary), and the build-wide steps that
need every video: the cap on "Nothing" answers and the figures the card shows about events,
answers, perturbations, probe bands and text-only separability.

Pure functions over :class:`~pipelines.timewarp.units.VideoOutput` lists and record lists; the
outputs are in input order whatever the worker count, so the cap is deterministic.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pipelines.core.accounting import Ledger
from pipelines.timewarp.fold import RowFold, VideoFold, has_nothing
from pipelines.timewarp.separability import text_only_report
from pipelines.timewarp.units import CONFIGS, VideoOutput

Row = dict[str, Any]
PAIR_CONFIGS = ("sft", "dpo", "kto")


def folds(outputs: Sequence[VideoOutput], records: Mapping[str, Sequence[Row]]) -> tuple[VideoFold, RowFold]:
    """The folds fed whole lists (what a streamed build feeds unit by unit)."""
    videos, rows = VideoFold(), RowFold()
    for output in outputs:
        videos.add(output)
    for config, config_rows in records.items():
        rows.add(config, config_rows)
    return videos, rows


def build_stats(outputs: Sequence[VideoOutput], records: Mapping[str, Sequence[Row]],
                ledger: Ledger) -> dict[str, Any]:
    return fold_stats(*folds(outputs, records), ledger)


def fold_stats(videos: VideoFold, rows: RowFold, ledger: Ledger) -> dict[str, Any]:
    """The build statistics from the folds and the complete ledger."""
    letters = rows.counts("timewar_normal", "answer")
    return {
        **videos.video_stats(dict(sorted(ledger.stage("videos").rejected.items()))),
        "pairs_dropped_order_insensitive": ledger.stage("qa_pairs").rejected.get("order_insensitive", 0),
        "timewar_letters": {k: letters.get(k, 0) for k in "ABCD"},
        "rows": {c: rows.rows[c] for c in CONFIGS},
    }


def allowed_nothing(total: int, nothing: int, max_share: float) -> int:
    """Most "Nothing" pairs that may stay so that they are at most ``max_share`` of the pairs
    left once the others are dropped: keep <= share * (total - nothing + keep)."""
    if max_share >= 1:
        return nothing
    return min(nothing, math.floor(max_share * (total - nothing) / (1 - max_share) + 1e-9))


def _digest(pair_id: str) -> str:
    return hashlib.sha256(pair_id.encode()).hexdigest()


def nothing_to_drop(outputs: Iterable[VideoOutput], max_share: float) -> set[str]:
    """The ids of the "Nothing" pairs beyond ``max_share`` of all pairs: the ones with the highest
    hash of their id. Needs only the ids of the "Nothing" pairs, one video at a time."""
    total, nothing = 0, []
    for output in outputs:
        total += len(output.records["dpo"])
        nothing += [(_digest(r["id"]), r["id"]) for r in output.records["dpo"] if has_nothing(r)]
    nothing.sort()
    return {pair_id for _, pair_id in nothing[allowed_nothing(total, len(nothing), max_share):]}


def drop_nothing(output: VideoOutput, dropped: set[str]) -> None:
    """Remove ``output``'s pairs in ``dropped`` from every pair config (rejection
    ``nothing_share_cap``, in hash order as the build-wide cap takes them)."""
    mine = sorted((r for r in output.records["dpo"] if r["id"] in dropped), key=lambda r: _digest(r["id"]))
    for row in mine:
        key = row["id"]
        for config in PAIR_CONFIGS:
            output.records[config] = [r for r in output.records[config]
                                      if r["id"] != key and r.get("pair_id") != key]
        output.stage_accepted["qa_pairs"] -= 1
        output.rejects.append(("qa_pairs", key, "nothing_share_cap", row["question_kind"]))


def cap_nothing(outputs: Sequence[VideoOutput], max_share: float) -> int:
    """Drop "Nothing" pairs beyond ``max_share`` of all pairs (rejection ``nothing_share_cap``),
    the ones with the highest hash of their id first. Returns how many were dropped."""
    dropped = nothing_to_drop(outputs, max_share)
    for output in outputs:
        drop_nothing(output, dropped)
    return len(dropped)


def event_stats(outputs: Sequence[VideoOutput]) -> dict[str, Any]:
    """Events and dropped activities of the kept videos; ``titles_as_events`` counts events whose
    text is a kept scene's title (0 by construction: titles never stand in for events)."""
    return folds(outputs, {})[0].event_stats()


def probe_band_seconds(probe: Sequence[Row]) -> dict[str, dict[str, Any]]:
    """Per band: statements, pairs and the seconds between the two events (see RowFold)."""
    return folds([], {"ordering_probe": probe})[1].probe_bands()


def fold_recipe_stats(videos: VideoFold, rows: RowFold, text_only: dict[str, Any], dropped_by_cap: int,
                      max_share: float) -> dict[str, Any]:
    """The figures the card shows about events, answers, perturbations, probe bands, and the
    text-only separability of every preference config (computed from its keyed sample)."""
    return {"events": videos.event_stats(), "text_only": text_only,
            "answers": rows.answer_stats(dropped_by_cap, max_share),
            "perturbation_by_scene_count": videos.perturbation_by_scenes(),
            "probe_bands": rows.probe_bands()}


def recipe_stats(outputs: Sequence[VideoOutput], records: Mapping[str, Sequence[Row]],
                 dropped_by_cap: int, max_share: float, seed: int) -> dict[str, Any]:
    return fold_recipe_stats(*folds(outputs, records), text_only_report(records, seed), dropped_by_cap,
                             max_share)
