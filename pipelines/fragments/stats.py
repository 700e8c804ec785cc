"""Statistics of a fragments build (pure functions over the rows): counts per task x N, chance
per task, key letters and Yes/No balance, and the items for the text-only (blind) baselines."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from pipelines.core.evalformats import LETTERS

Row = dict[str, Any]
BLIND_MARGIN = 0.05  # a text-only model this far above chance is flagged (``above_target``)


def question_rows(records: Mapping[str, Sequence[Row]]) -> list[Row]:
    """Every question once, train and test, with its split, options and key index."""
    rows: list[Row] = []
    for config, split in (("bench_fragment", "test"), ("bench_scene", "test")):
        rows += [{**r, "split": split, "n": r.get("n", 0)} for r in records[config]]
    for r in records["sft"]:
        lines = r["prompt"].split("\n")
        options = [ln[3:] for ln in lines[1:-1]]
        rows.append({**r, "split": "train", "question": lines[0], "options": options,
                     "answer_text": options[LETTERS.index(r["answer"])]})
    return rows


def task_n_counts(rows: Sequence[Row]) -> dict[str, dict[str, int]]:
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for r in rows:
        table[r["task"]][str(r["n"]) if r["n"] else "scene"] += 1
    return {task: dict(sorted(c.items())) for task, c in sorted(table.items())}


def chance(rows: Sequence[Row]) -> dict[str, float]:
    """Expected accuracy of uniform guessing per task (mean of 1 / number of options)."""
    sums: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        sums[r["task"]].append(1.0 / len(r["options"]))
    return {task: sum(v) / len(v) for task, v in sorted(sums.items())}


def key_balance(rows: Sequence[Row]) -> dict[str, dict[str, int]]:
    """Per task: how often each letter, and each key text for Yes/No tasks, is the key."""
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for r in rows:
        out[r["task"]][f"letter {r['answer']}"] += 1
        if r["task"] in ("frame_comparison", "adjust_or_not", "speed"):
            out[r["task"]][f"key {r['answer_text']}"] += 1
    return {task: dict(sorted(c.items())) for task, c in sorted(out.items())}


def build_stats(records: Mapping[str, Sequence[Row]], bench_videos: Sequence[str],
                ledger_json: Mapping[str, Any]) -> dict[str, Any]:
    rows = question_rows(records)
    return {
        "questions": len(rows), "by_task_n": task_n_counts(rows), "chance": chance(rows),
        "key_balance": key_balance(rows), "rows": {c: len(r) for c, r in records.items()},
        "bench_videos": list(bench_videos),
        "train_videos": sorted({r["video_id"] for r in records["sft"]}),
        "rejected": {stage: c["rejected"] for stage, c in ledger_json.items() if c["rejected"]},
    }


def blind_baselines(rows: Sequence[Row], seed: int) -> dict[str, Any]:
    """Text-only baselines (option prior and n-gram models, group k-fold by video) over every
    question; ``{"available": False}`` when ``pipelines.core.blind`` is not installed."""
    try:
        from pipelines.core.blind import ChoiceItem, blind_choice_report
    except ImportError:
        return {"available": False}
    items = [ChoiceItem(key=r["id"], groups={"video": r["video_id"]}, question=r["question"],
                        options=tuple(r["options"]), answer=LETTERS.index(r["answer"]),
                        template=r["template"]) for r in rows]

    def report(subset: list[Any]) -> dict[str, Any] | None:
        groups = len({i.groups["video"] for i in subset})
        if groups < 2:
            return None
        target = sum(1 / len(i.options) for i in subset) / len(subset) + BLIND_MARGIN
        return blind_choice_report(subset, seed=seed, folds=min(5, groups), target=target)

    tasks = sorted({r["task"] for r in rows})
    by_task = {t: report([i for i, r in zip(items, rows, strict=True) if r["task"] == t]) for t in tasks}
    return {"available": True, "all": report(items), "by_task": by_task}
