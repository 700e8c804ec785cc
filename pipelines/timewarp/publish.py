"""Exports, data card (``README.md``) and HTML report (``report/index.html``) of a timewarp build.

:func:`write_card_exports_report` is the one entry point ``build`` calls. It is deterministic: the
card and report depend only on the records, stats, ledger, params, version and input checksums
(no clock, no host), and samples are picked by position, not at random.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pipelines.core.accounting import Ledger
from pipelines.core.atomic import write_text
from pipelines.core.cachekey import config_digests
from pipelines.core.cards import render_card, render_report, size_category
from pipelines.core.manifest import code_version
from pipelines.timewarp.config import TimewarpParams
from pipelines.timewarp.exports import CHOSEN_SCORE, REJECTED_SCORE, Frames, write_exports
from pipelines.timewarp.implicit import OFFLINE_BACKEND
from pipelines.timewarp.schema import SPLITS
from pipelines.timewarp.units import CONFIGS

Row = dict[str, Any]
SAMPLES = 4
THUMBNAILS = 6


def spread(rows: Sequence[Row], count: int = SAMPLES) -> list[Row]:
    """``count`` rows evenly spaced over ``rows`` (deterministic)."""
    if not rows:
        return []
    step = max(1, len(rows) // count)
    return list(rows[::step][:count])


def _counts(rows: Sequence[Row], key: str) -> dict[str, int]:
    return dict(sorted(Counter(str(r[key]) for r in rows).items()))


def extra_stats(records: Mapping[str, Sequence[Row]]) -> dict[str, Any]:
    """Statistics the card shows beyond ``build.build_stats`` (all derived from the records)."""
    return {
        "timewar_letters_shuffled": {k: sum(r["answer"] == k for r in records["timewar_shuffled"])
                                     for k in "ABCD"},
        "timewar_kinds": _counts(records["timewar_normal"], "question_kind"),
        "timewar_videos": len({r["video_id"] for r in records["timewar_normal"]}),
        "dpo_kinds": _counts(records["dpo"], "question_kind"),
        "dpo_perturbations": _counts(records["dpo"], "perturbation"),
        "kto_labels": {"desirable": sum(bool(r["label"]) for r in records["kto"]),
                       "undesirable": sum(not r["label"] for r in records["kto"])},
        "probe_videos": len({r["video_id"] for r in records["ordering_probe"]}),
        "probe_distances": _counts(records["ordering_probe"], "distance"),
        "implicit_kinds": _counts(records["implicit"], "dispreferred_kind"),
        "implicit_themes": _counts(records["implicit"], "theme"),
        "implicit_backends": _counts(records["implicit"], "backend"),
    }


def _thumbs(frames: Frames, video: str) -> list[str]:
    """Up to THUMBNAILS frames of ``video`` as paths relative to ``report/``."""
    paths = frames(video)
    step = max(1, len(paths) // THUMBNAILS)
    return ["../" + p for p in paths[::step][:THUMBNAILS]]


def report_samples(build_dir: Path, records: Mapping[str, Sequence[Row]]) -> dict[str, list[Row]]:
    frames = Frames(build_dir)
    shuffled = {r["pair_id"]: r for r in records["timewar_shuffled"]}
    probes: dict[str, list[Row]] = defaultdict(list)
    for r in records["ordering_probe"]:
        probes[r["video_id"]].append(r)
    return {
        "dpo": [{**r, "thumbs": _thumbs(frames, r["video"]),
                 "perturbed_thumbs": _thumbs(frames, r["perturbed_video"])} for r in spread(records["dpo"])],
        "timewar": [{"normal": {**r, "thumbs": _thumbs(frames, r["video"])},
                     "shuffled": {**shuffled[r["pair_id"]],
                                  "thumbs": _thumbs(frames, shuffled[r["pair_id"]]["video"])}}
                    for r in spread(records["timewar_normal"]) if r["pair_id"] in shuffled],
        "probe": [{"video_id": v, "statements": probes[v]} for v in sorted(probes)[:2]],
        "implicit": spread(records["implicit"], 2),
    }


def card_context(build_dir: Path, records: Mapping[str, Sequence[Row]], stats: Mapping[str, Any],
                 ledger: Ledger, params: TimewarpParams, version: str, sums: Mapping[str, str]
                 ) -> dict[str, Any]:
    return {
        "version": version, "params": params.model_dump(), "code_version": code_version(),
        "inputs": dict(sums), "counts": ledger.to_json(), "stats": dict(stats),
        "extra": extra_stats(records), "configs": [(c, SPLITS[c], len(records[c])) for c in CONFIGS],
        "size_category": size_category(sum(len(records[c]) for c in CONFIGS)),
        "media_rendered": (build_dir / "media").exists(), "offline_backend": OFFLINE_BACKEND,
        "chosen_score": CHOSEN_SCORE, "rejected_score": REJECTED_SCORE,
        "config_digests": config_digests(build_dir),  # the cache key datasets sees (core/cachekey)
    }


def write_card_exports_report(build_dir: Path, records: Mapping[str, Sequence[Row]],
                              stats: Mapping[str, Any], ledger: Ledger, params: TimewarpParams,
                              version: str, sums: Mapping[str, str]) -> list[Path]:
    """Write ``exports/``, ``README.md`` and ``report/index.html``; returns the files written."""
    written = write_exports(build_dir, records)
    context = card_context(build_dir, records, stats, ledger, params, version, sums)
    write_text(build_dir / "README.md", render_card("timewarp", context))
    context["samples"] = report_samples(build_dir, records)
    write_text(build_dir / "report" / "index.html", render_report("timewarp", context))
    return [*written, build_dir / "README.md", build_dir / "report" / "index.html"]
