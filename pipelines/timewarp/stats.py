"""Build statistics of a timewarp build (card, report, summary)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pipelines.core.accounting import Ledger
from pipelines.timewarp.units import CONFIGS, VideoOutput


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
