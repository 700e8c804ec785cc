"""The timewarp card's statistics as folds: fed one video (and its rows) at a time, in unit order.

:class:`VideoFold` takes each video's :class:`~pipelines.timewarp.units.VideoOutput`,
:class:`RowFold` each config's rows; neither keeps rows or videos, only counters, running sums (in
unit order, so the floats equal the whole-list sums) and the probe gaps. ``stats.py`` computes the
same figures from whole lists by feeding these folds.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pipelines.core.valuecounts import ValueCounts, sorted_counts
from pipelines.timewarp.events import DROP_REASONS, normal_text
from pipelines.timewarp.probe import SECOND_BANDS
from pipelines.timewarp.temporal_qa import is_nothing
from pipelines.timewarp.units import VideoOutput

Row = dict[str, Any]


def has_nothing(row: Row) -> bool:
    return is_nothing(row["chosen"]) or is_nothing(row["rejected"])


@dataclass
class VideoFold:
    """What the card shows about the videos (trims, scenes, events, perturbations)."""

    videos_in: int = 0
    videos_kept: int = 0
    clip_seconds: float = 0  # running sums, in unit order
    scene_seconds: float = 0
    scenes: int = 0
    scenes_per_video: Counter[int] = field(default_factory=Counter)
    stop_reasons: Counter[str] = field(default_factory=Counter)
    clip_histogram: Counter[int] = field(default_factory=Counter)
    perturbations: Counter[str] = field(default_factory=Counter)
    by_scene_count: dict[str, Counter[str]] = field(default_factory=dict)
    events: int = 0
    titles_as_events: int = 0
    scenes_without_events: int = 0
    dropped: Counter[str] = field(default_factory=Counter)

    def add(self, output: VideoOutput) -> None:
        self.videos_in += 1
        kept = output.trimmed
        if kept is None:
            return
        self.videos_kept += 1
        length = kept.clip_end - kept.clip_start
        self.clip_seconds += length
        self.clip_histogram[int(length // 15) * 15] += 1
        for scene in kept.scenes:
            self.scene_seconds += scene.end - scene.start
        self.scenes += len(kept.scenes)
        self.scenes_per_video[len(kept.scenes)] += 1
        self.stop_reasons[kept.stop_reason] += 1
        self.perturbations[output.perturbation] += 1
        self.by_scene_count.setdefault(str(len(kept.scenes)), Counter())[output.perturbation] += 1
        titles = {normal_text(s.title) for s in kept.scenes if s.title}
        self.events += len(kept.events)
        self.titles_as_events += sum(normal_text(e.description) in titles for e in kept.events)
        self.scenes_without_events += sum(not any(e.scene == s.index for e in kept.events)
                                          for s in kept.scenes)
        self.dropped.update(e.dropped for e in kept.timeline if e.dropped)

    def video_stats(self, rejected_by_reason: dict[str, int]) -> dict[str, Any]:
        """The video part of ``stats.build_stats`` (in its key order)."""
        return {
            "videos_in": self.videos_in, "videos_kept": self.videos_kept,
            "rejected_by_reason": rejected_by_reason,
            "scenes_per_video": sorted_counts(self.scenes_per_video),
            "trim_stop_reasons": sorted_counts(self.stop_reasons),
            "mean_clip_seconds": self.clip_seconds / self.videos_kept if self.videos_kept else 0.0,
            "mean_scene_seconds": self.scene_seconds / self.scenes if self.scenes else 0.0,
            "clip_seconds_histogram": sorted_counts(self.clip_histogram),
            "perturbation_counts": sorted_counts(self.perturbations)}

    def event_stats(self) -> dict[str, Any]:
        return {"events": self.events, "titles_as_events": self.titles_as_events,
                "scenes_without_events": self.scenes_without_events,
                "dropped_activities": {r: self.dropped.get(r, 0) for r in DROP_REASONS}}

    def perturbation_by_scenes(self) -> dict[str, dict[str, int]]:
        by_count = sorted(self.by_scene_count.items(), key=lambda kv: int(kv[0]))
        return {k: sorted_counts(v) for k, v in by_count}


@dataclass
class RowFold:
    """What the card shows about the rows: counts per config, answer letters and kinds, the
    "Nothing" answers, KTO labels, probe distances and gaps, implicit kinds."""

    rows: Counter[str] = field(default_factory=Counter)
    values: ValueCounts = field(default_factory=lambda: ValueCounts(RowFold.COUNTED))
    videos: dict[str, set[str]] = field(default_factory=dict)
    sums: Counter[str] = field(default_factory=Counter)
    band_rows: Counter[str] = field(default_factory=Counter)
    band_gaps: dict[str, list[float]] = field(default_factory=dict)

    COUNTED: ClassVar[dict[str, tuple[str, ...]]] = {
               "timewar_normal": ("answer", "question_kind"), "timewar_shuffled": ("answer",),
               "dpo": ("question_kind", "perturbation"),
               "ordering_probe": ("distance",), "implicit": ("dispreferred_kind", "theme", "backend")}

    def add(self, config: str, rows: Sequence[Row]) -> None:
        self.rows[config] += len(rows)
        self.values.add(config, rows)
        if config in ("timewar_normal", "ordering_probe"):
            self.videos.setdefault(config, set()).update(r["video_id"] for r in rows)
        if config == "dpo":
            self.sums.update(pairs=len(rows), nothing=sum(has_nothing(r) for r in rows),
                                chosen=sum(is_nothing(r["chosen"]) for r in rows),
                                rejected=sum(is_nothing(r["rejected"]) for r in rows))
        if config == "kto":
            self.sums.update(desirable=sum(bool(r["label"]) for r in rows),
                             undesirable=sum(not r["label"] for r in rows))
        if config == "ordering_probe":
            for r in rows:  # four statements per ordered pair: the gap of every fourth of a band
                band = r["distance"]
                if self.band_rows[band] % 4 == 0:
                    self.band_gaps.setdefault(band, []).append(r["gap_seconds"])
                self.band_rows[band] += 1

    def counts(self, config: str, key: str) -> dict[str, int]:
        return self.values.counts(config, key)

    def answer_stats(self, dropped_by_cap: int, max_share: float) -> dict[str, Any]:
        pairs, nothing = self.sums["pairs"], self.sums["nothing"]
        return {"pairs": pairs, "nothing_pairs": nothing,
                "nothing_share": round(nothing / pairs, 4) if pairs else 0.0,
                "nothing_chosen": self.sums["chosen"], "nothing_rejected": self.sums["rejected"],
                "nothing_max_share": max_share, "nothing_dropped_by_cap": dropped_by_cap}

    def probe_bands(self) -> dict[str, dict[str, Any]]:
        """Per band: statements, pairs, seconds between the two events (min / quartiles / max)
        and how many pairs fall in the band's nominal separation (10-20 s, 20-30 s, >= 30 s)."""
        out: dict[str, dict[str, Any]] = {}
        for band, (low, high) in SECOND_BANDS.items():
            gaps = sorted(self.band_gaps.get(band, []))
            if not gaps:
                out[band] = {"statements": 0, "pairs": 0}
                continue
            quartiles = statistics.quantiles(gaps, n=4) if len(gaps) > 1 else [gaps[0]] * 3
            out[band] = {"statements": self.band_rows[band], "pairs": len(gaps), "min": round(gaps[0], 1),
                         "q1": round(quartiles[0], 1), "median": round(quartiles[1], 1),
                         "q3": round(quartiles[2], 1), "max": round(gaps[-1], 1),
                         "in_nominal_range": sum(low <= g < high for g in gaps),
                         "histogram_10s": dict(sorted(Counter(
                             f"{int(g // 10) * 10}-{int(g // 10) * 10 + 10}" for g in gaps).items(),
                             key=lambda kv: int(kv[0].split("-")[0])))}
        return out
