"""Exports, data card (``README.md``) and HTML report (``report/index.html``) of a timewarp build.

:func:`write_card_exports_report` is the one entry point ``build`` calls. It is deterministic: the
card and report depend only on the records, stats, ledger, params, version and input checksums
(no clock, no host), and samples are picked by position, not at random.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from pipelines.core.accounting import Ledger
from pipelines.core.atomic import write_text
from pipelines.core.cachekey import config_digests
from pipelines.core.cards import render_card, render_report, size_category
from pipelines.core.manifest import code_version
from pipelines.core.reservoir import spread_positions
from pipelines.timewarp.config import TimewarpParams
from pipelines.timewarp.exports import CHOSEN_SCORE, REJECTED_SCORE, Frames
from pipelines.timewarp.exportstream import write_exports
from pipelines.timewarp.fold import RowFold
from pipelines.timewarp.implicit import OFFLINE_BACKEND
from pipelines.timewarp.schema import SPLITS
from pipelines.timewarp.units import CONFIGS

Row = dict[str, Any]
SAMPLES = 4
THUMBNAILS = 6


class ReportSamples:
    """The report's sample rows, picked as rows stream by (``counts``: rows per config, known
    beforehand): evenly spaced DPO, TimeWar (with its shuffled twin, from the same batch of rows)
    and implicit rows, and the statements of the two first video ids of the probe."""

    SPREAD: ClassVar[dict[str, int]] = {"dpo": SAMPLES, "timewar_normal": SAMPLES, "implicit": 2}

    def __init__(self, counts: Mapping[str, int]) -> None:
        self.wanted = {c: set(spread_positions(counts.get(c, 0), n)) for c, n in self.SPREAD.items()}
        self.seen = {c: 0 for c in self.SPREAD}
        self.picked: dict[str, list[Row]] = {c: [] for c in self.SPREAD}
        self.twins: dict[str, Row] = {}
        self.probes: dict[str, list[Row]] = {}

    def add(self, rows: Mapping[str, Sequence[Row]]) -> None:
        """One batch of rows per config (a unit's, or whole lists)."""
        for config in self.SPREAD:
            batch, first = rows.get(config, ()), self.seen[config]
            self.seen[config] += len(batch)
            for position in sorted(p for p in self.wanted[config] if first <= p < first + len(batch)):
                self.picked[config].append(batch[position - first])
        if any(r["pair_id"] in self.wanted_pairs() for r in rows.get("timewar_shuffled", ())):
            twins = {r["pair_id"]: r for r in rows["timewar_shuffled"]}
            self.twins.update({k: twins[k] for k in self.wanted_pairs() if k in twins})
        for r in rows.get("ordering_probe", ()):
            video = r["video_id"]
            if video in self.probes:
                self.probes[video].append(r)
            elif len(self.probes) < 2 or video < max(self.probes):
                self.probes[video] = [r]
                if len(self.probes) > 2:
                    del self.probes[max(self.probes)]

    def wanted_pairs(self) -> set[str]:
        return {r["pair_id"] for r in self.picked["timewar_normal"]} - set(self.twins)

    def samples(self, build_dir: Path) -> dict[str, list[Row]]:
        frames = Frames(build_dir)
        return {
            "dpo": [{**r, "thumbs": _thumbs(frames, r["video"]),
                     "perturbed_thumbs": _thumbs(frames, r["perturbed_video"])} for r in self.picked["dpo"]],
            "timewar": [{"normal": {**r, "thumbs": _thumbs(frames, r["video"])},
                         "shuffled": {**self.twins[r["pair_id"]],
                                      "thumbs": _thumbs(frames, self.twins[r["pair_id"]]["video"])}}
                        for r in self.picked["timewar_normal"] if r["pair_id"] in self.twins],
            "probe": [{"video_id": v, "statements": self.probes[v]} for v in sorted(self.probes)],
            "implicit": self.picked["implicit"],
        }


def extra_stats(rows: RowFold) -> dict[str, Any]:
    """Statistics the card shows beyond ``stats.build_stats`` (all derived from the rows)."""
    shuffled = rows.counts("timewar_shuffled", "answer")
    return {
        "timewar_letters_shuffled": {k: shuffled.get(k, 0) for k in "ABCD"},
        "timewar_kinds": rows.counts("timewar_normal", "question_kind"),
        "timewar_videos": len(rows.videos.get("timewar_normal", ())),
        "dpo_kinds": rows.counts("dpo", "question_kind"),
        "dpo_perturbations": rows.counts("dpo", "perturbation"),
        "kto_labels": {"desirable": rows.sums["desirable"], "undesirable": rows.sums["undesirable"]},
        "probe_videos": len(rows.videos.get("ordering_probe", ())),
        "probe_distances": rows.counts("ordering_probe", "distance"),
        "implicit_kinds": rows.counts("implicit", "dispreferred_kind"),
        "implicit_themes": rows.counts("implicit", "theme"),
        "implicit_backends": rows.counts("implicit", "backend"),
    }


def _thumbs(frames: Frames, video: str) -> list[str]:
    """Up to THUMBNAILS frames of ``video`` as paths relative to ``report/``."""
    paths = frames(video)
    step = max(1, len(paths) // THUMBNAILS)
    return ["../" + p for p in paths[::step][:THUMBNAILS]]


def card_context(build_dir: Path, rows: RowFold, stats: Mapping[str, Any], ledger: Ledger,
                 params: TimewarpParams, version: str, sums: Mapping[str, str]) -> dict[str, Any]:
    return {
        "version": version, "params": params.model_dump(), "code_version": code_version(),
        "inputs": dict(sums), "counts": ledger.to_json(), "stats": dict(stats),
        "extra": extra_stats(rows), "configs": [(c, SPLITS[c], rows.rows[c]) for c in CONFIGS],
        "size_category": size_category(sum(rows.rows[c] for c in CONFIGS)),
        "media_rendered": (build_dir / "media").exists(), "offline_backend": OFFLINE_BACKEND,
        "chosen_score": CHOSEN_SCORE, "rejected_score": REJECTED_SCORE,
        "config_digests": config_digests(build_dir),  # the cache key datasets sees (core/cachekey)
    }


def write_card_report(build_dir: Path, rows: RowFold, picker: ReportSamples, stats: Mapping[str, Any],
                      ledger: Ledger, params: TimewarpParams, version: str, sums: Mapping[str, str]
                      ) -> list[Path]:
    """Write ``README.md`` and ``report/index.html`` (the exports are written beforehand)."""
    context = card_context(build_dir, rows, stats, ledger, params, version, sums)
    write_text(build_dir / "README.md", render_card("timewarp", context))
    context["samples"] = picker.samples(build_dir)
    write_text(build_dir / "report" / "index.html", render_report("timewarp", context))
    return [build_dir / "README.md", build_dir / "report" / "index.html"]


def write_card_exports_report(build_dir: Path, records: Mapping[str, Sequence[Row]],
                              stats: Mapping[str, Any], ledger: Ledger, params: TimewarpParams,
                              version: str, sums: Mapping[str, str]) -> list[Path]:
    """Write ``exports/``, ``README.md`` and ``report/index.html`` from whole record lists;
    returns the files written."""
    written = write_exports(build_dir, records)
    rows = RowFold()
    for config, config_rows in records.items():
        rows.add(config, config_rows)
    picker = ReportSamples({c: len(r) for c, r in records.items()})
    picker.add(records)
    return [*written, *write_card_report(build_dir, rows, picker, stats, ledger, params, version, sums)]
