"""Spending the text-only margin on kept units: the key-ratio fallback of a cross build.

At the default ``max_key_ratio`` (0.25: every action the key in at most a quarter of the questions
showing it) the blind model usually has a few points of margin under its 30% target, while kept
(>= 60% of the units the CSV offers) is what AVA inputs most often miss: over the 84 six-video
subsets of the nine real videos, 21 keep >= 60% and 3 are above 30% blind; at 0.27, 47 keep
>= 60% but 8 are above 30% (README, "Other AVA videos"). So a cross build whose plan keeps fewer
than :data:`KEPT_TARGET` of the units is planned again at ``fallback_key_ratio``; the looser plan
is used when it keeps more units and its own text-only check (the core blind model on the
questions it generates, as the report runs it) is at most :data:`FALLBACK_BLIND`, a point under
the target. Otherwise the build keeps the default plan. The questions of both attempts are
generated here, in the driver (pure functions, a second or two on AVA-sized inputs); the chosen
context then drives the build's ``videos`` pass as usual, so its output is what the attempt
measured. Without the blind model (``blind_sample`` 0) nothing can be checked and the default
plan is kept. Every attempt is recorded for the card, the report and the summary.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from pipelines.finebench.blindstats import BLIND_TARGET, KEPT_TARGET, blind_report
from pipelines.finebench.columns import VideoInput, expand
from pipelines.finebench.config import FinebenchParams
from pipelines.finebench.context import GenerationContext, make_context
from pipelines.finebench.keyframes import PersonTable
from pipelines.finebench.questions import generate_video
from pipelines.finebench.units import UnitTable
from pipelines.finebench.vocabulary import Vocabulary

Report = dict[str, Any]
FALLBACK_BLIND = BLIND_TARGET - 0.01  # the looser plan's text-only check must stay at or under this


def choose_context(vocab: Vocabulary, params: FinebenchParams, units: UnitTable, persons: PersonTable,
                   work: Sequence[VideoInput]) -> tuple[GenerationContext, dict[str, Any], Report | None]:
    """The generation context of the build, the record of the choice (``{"ratio": used,
    "attempts": [{"ratio", "kept", "blind_best"}...], "reason": why}``) and, when the looser plan
    is used, the blind report made on its questions (the build's own questions: the report need
    not be fitted again)."""
    context = make_context(vocab, params, units, persons)
    record: dict[str, Any] = {"ratio": params.max_key_ratio, "attempts": [], "reason": "default"}
    fallback = params.fallback_key_ratio
    if params.option_mode != "cross" or fallback <= params.max_key_ratio:
        return context, record, None
    if params.blind_sample <= 0:
        record["reason"] = "not tried: no text-only check (--blind-sample 0)"
        return context, record, None
    offered = max(len(units), 1)
    kept = sum(generate_video(context, video).table.num_rows for video in work) / offered
    record["attempts"].append({"ratio": params.max_key_ratio, "kept": kept, "blind_best": None})
    if kept >= KEPT_TARGET:
        record["reason"] = "kept met the target"
        return context, record, None
    candidate = make_context(vocab, params.model_copy(update={"max_key_ratio": fallback}), units, persons)
    tables = [generate_video(candidate, video).table for video in work]
    looser_kept = sum(table.num_rows for table in tables) / offered
    attempt: dict[str, Any] = {"ratio": fallback, "kept": looser_kept, "blind_best": None}
    record["attempts"].append(attempt)
    if looser_kept <= kept:  # nothing to gain: the blind model is not fitted
        record["reason"] = f"kept below {KEPT_TARGET:.0%}, and no more units kept at {fallback}"
        return context, record, None
    report = blind_report(expand(pa.concat_tables(tables)), params.seed, params.blind_sample)
    attempt["blind_best"] = None if report is None else float(report["best"])
    if report is None or report["best"] > FALLBACK_BLIND + 1e-12:
        record["reason"] = (f"kept below {KEPT_TARGET:.0%}, but at {fallback} the text-only check is "
                            f"above {FALLBACK_BLIND:.0%}")
        return context, record, None
    record.update(ratio=fallback, reason=f"kept below {KEPT_TARGET:.0%} at {params.max_key_ratio}; "
                                         f"text-only check at {fallback} within {FALLBACK_BLIND:.0%}")
    return candidate, record, report
