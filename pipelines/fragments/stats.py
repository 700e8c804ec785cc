"""Statistics of a fragments build from its :class:`~pipelines.fragments.fold.QuestionFold`:
counts per task x N, chance per task, key letters and Yes/No balance, and the text-only (blind)
baselines over the fold's keyed samples."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pipelines.core.evalformats import LETTERS
from pipelines.fragments.fold import ALL, QuestionFold, question, segment_rows
from pipelines.fragments.records import CONFIGS

Row = dict[str, Any]
Batches = Callable[[], Iterable[Mapping[str, Sequence[Row]]]]  # the rows again, per unit, in order
BLIND_MARGIN = 0.05  # a text-only model this far above chance is flagged (``above_target``)


def build_stats(fold: QuestionFold, rows: Mapping[str, int], bench_videos: Sequence[str],
                ledger_json: Mapping[str, Any]) -> dict[str, Any]:
    """The card's statistics; ``rows``: rows per config."""
    return {
        "questions": fold.questions(),
        "by_task_n": {task: dict(sorted(c.items())) for task, c in sorted(fold.by_task_n.items())},
        "chance": {task: fold.mean_share(task) for task in sorted(fold.tasks)},
        "key_balance": {task: dict(sorted(c.items())) for task, c in sorted(fold.keys.items())},
        "rows": {c: rows.get(c, 0) for c in CONFIGS},
        "bench_videos": list(bench_videos),
        "train_videos": sorted(fold.train_videos),
        "rejected": {stage: c["rejected"] for stage, c in ledger_json.items() if c["rejected"]},
    }


def blind_baselines(fold: QuestionFold, batches: Batches, seed: int) -> dict[str, Any]:
    """Text-only baselines (option prior and n-gram models, group k-fold by video) over every
    question and per task; ``{"available": False}`` when ``pipelines.core.blind`` is not
    installed. Each scope's sampled items are built from one more pass over ``batches()``."""
    try:
        from pipelines.core.blind import ChoiceItem, blind_choice_report, within_feature_budget
    except ImportError:
        return {"available": False}

    def item(q: Row) -> ChoiceItem:
        return ChoiceItem(key=q["id"], groups={"video": q["video_id"]}, question=q["question"],
                          options=tuple(q["options"]), answer=LETTERS.index(q["answer"]),
                          template=q["template"])

    def report(scope: str) -> dict[str, Any] | None:
        groups = fold.groups[scope]
        if groups < 2:
            return None
        picker = fold.sample.picker([scope])
        for rows in batches():
            for segment, config, row in segment_rows(rows):
                if scope in (ALL, row["task"]):  # the question record is made only when kept
                    picker.take(scope, segment, lambda config=config, row=row: item(question(config, row)))
        target = fold.mean_share(scope) + BLIND_MARGIN
        return blind_choice_report(within_feature_budget(picker.items(scope), seed), seed=seed,
                                   folds=min(5, groups), target=target, max_items=fold.sample.limit)

    return {"available": True, "all": report(ALL), "by_task": {t: report(t) for t in sorted(fold.tasks)}}
