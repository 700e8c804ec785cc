"""fragments' streamed statistics (fold.py, stats.py) against the whole-list computation.

The rows arrive video by video, but the statistics are defined over every question with the
benchmark configs first (``bench_fragment``, ``bench_scene``, then ``sft``). The reference here
computes them the direct way, from the whole lists in that order (what the recipe did before it
streamed); the fold, fed one video at a time, must give the same figures, bit for bit, and the
text-only models the same keyed sample in the same order. (The demo build's files against the
whole-list writers: tests/test_fragments_build.py.)
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import pytest

from pipelines.core import blind
from pipelines.core.blind import ChoiceItem, blind_choice_report, feature_count, within_feature_budget
from pipelines.core.evalformats import LETTERS
from pipelines.core.rng import UnitRng
from pipelines.fragments import fold as fold_module
from pipelines.fragments.fold import QuestionFold, card_kind
from pipelines.fragments.records import CONFIGS, sft_row
from pipelines.fragments.stats import BLIND_MARGIN, blind_baselines, build_stats

Row = dict[str, Any]
WORDS = ("frame", "person", "left", "right", "order", "first", "last", "blue", "moving", "still")
FRAGMENT_TASKS = ("frame_count", "meaning_of_order", "frame_comparison", "adjust_or_not", "rearrangement")
SCENE_TASKS = ("speed", "action", "effect")


def text(rng: UnitRng, words: int) -> str:
    return " ".join(WORDS[rng.below(len(WORDS))] for _ in range(words))


def question_row(video: str, index: int, scene: bool, rng: UnitRng) -> Row:
    """A bench row of either config; 2-5 options (the chance means mix 1/2 .. 1/5)."""
    tasks = SCENE_TASKS if scene else FRAGMENT_TASKS
    task = tasks[rng.below(len(tasks))]
    options = [f"{text(rng, 2)} {i}" for i in range(2 + rng.below(4))]
    answer = rng.below(len(options))
    row = {"id": f"{video}/q{index}", "video_id": video, "task": task,
           "frames": [f"media/{video}/f{index}.jpg"], "question": f"Which {text(rng, 3)}?",
           "options": options, "answer": LETTERS[answer], "answer_text": options[answer],
           "template": f"t{rng.below(3)}"}
    if scene:
        return {**row, "variant": "2x", "video": f"media/{video}/speed.mp4"}
    return {**row, "subtask": f"{['first', 'last'][rng.below(2)]}/x", "n": 2 + rng.below(5),
            "frame_times": [1.0], "time_order": [1]}


def synthetic_units(videos: int = 40) -> list[dict[str, list[Row]]]:
    """One batch of rows per video: benchmark videos give both bench configs, the others sft."""
    units = []
    for v in range(videos):
        rng = UnitRng(11, f"video{v}")
        bench = rng.below(2) == 0
        fragments = [question_row(f"video{v}", i, False, rng) for i in range(rng.below(6))]
        scenes = [question_row(f"video{v}", 10 + i, True, rng) for i in range(rng.below(3))]
        units.append({"bench_fragment": fragments, "bench_scene": scenes} if bench
                     else {"sft": [sft_row(r) for r in fragments + scenes]})
    return units


def whole_lists(units: list[dict[str, list[Row]]]) -> dict[str, list[Row]]:
    return {c: [r for unit in units for r in unit.get(c, ())] for c in CONFIGS}


def reference_questions(records: dict[str, list[Row]]) -> list[Row]:
    """Every question once, benchmark configs first (the whole-list definition)."""
    rows = [{**r, "split": "test", "n": r.get("n", 0)} for c in ("bench_fragment", "bench_scene")
            for r in records[c]]
    for r in records["sft"]:
        lines = r["prompt"].split("\n")
        options = [line[3:] for line in lines[1:-1]]
        rows.append({**r, "split": "train", "question": lines[0], "options": options,
                     "answer_text": options[LETTERS.index(r["answer"])]})
    return rows


def reference_stats(questions: list[Row]) -> dict[str, Any]:
    by_task_n: dict[str, Counter[str]] = defaultdict(Counter)
    shares: dict[str, list[float]] = defaultdict(list)
    keys: dict[str, Counter[str]] = defaultdict(Counter)
    for r in questions:
        by_task_n[r["task"]][str(r["n"]) if r["n"] else "scene"] += 1
        shares[r["task"]].append(1.0 / len(r["options"]))
        keys[r["task"]][f"letter {r['answer']}"] += 1
        if r["task"] in ("frame_comparison", "adjust_or_not", "speed"):
            keys[r["task"]][f"key {r['answer_text']}"] += 1
    return {"questions": len(questions),
            "by_task_n": {t: dict(sorted(c.items())) for t, c in sorted(by_task_n.items())},
            "chance": {t: sum(v) / len(v) for t, v in sorted(shares.items())},
            "key_balance": {t: dict(sorted(c.items())) for t, c in sorted(keys.items())}}


def reference_blind(questions: list[Row], seed: int, max_items: int) -> dict[str, Any]:
    items = [ChoiceItem(r["id"], {"video": r["video_id"]}, r["question"], tuple(r["options"]),
                        LETTERS.index(r["answer"]), r["template"]) for r in questions]

    def report(subset: list[ChoiceItem]) -> dict[str, Any] | None:
        groups = len({i.groups["video"] for i in subset})
        if groups < 2:
            return None
        target = sum(1 / len(i.options) for i in subset) / len(subset) + BLIND_MARGIN
        return blind_choice_report(subset, seed=seed, folds=min(5, groups), target=target,
                                   max_items=max_items)

    tasks = sorted({r["task"] for r in questions})
    return {"available": True, "all": report(items),
            "by_task": {t: report([i for i, r in zip(items, questions, strict=True) if r["task"] == t])
                        for t in tasks}}


def fed(units: list[dict[str, list[Row]]], seed: int) -> QuestionFold:
    fold = QuestionFold(seed)
    for unit in units:
        fold.add(unit)
    return fold


def test_fold_fed_unit_by_unit_gives_the_whole_list_statistics():
    units = synthetic_units()
    records = whole_lists(units)
    questions = reference_questions(records)
    fold = fed(units, seed=3)
    stats = build_stats(fold, {c: len(r) for c, r in records.items()}, ["video1"], {})
    assert {k: stats[k] for k in ("questions", "by_task_n", "chance", "key_balance")} == \
        reference_stats(questions)
    assert stats["train_videos"] == sorted({r["video_id"] for r in records["sft"]})
    # the report's cards: the first question of each kind, benchmark first
    first: dict[str, str] = {}
    for r in questions:
        first.setdefault(card_kind(r), r["id"])
    assert [q["id"] for q in fold.first_questions()] == list(first.values())
    # the streamed order differs from the whole-list one, so the mixed option counts test the sums
    assert len({len(r["options"]) for r in questions}) > 2 and records["bench_fragment"]


@pytest.mark.parametrize("limit", [20_000, 25])
def test_text_only_baselines_see_the_whole_list_sample(monkeypatch, limit):
    """Below and beyond the sample size: the items the fold picks in its extra passes give the
    report blind.py gives on the whole item list (its own keyed subsample, in whole-list order)."""
    monkeypatch.setattr(fold_module, "SAMPLE", limit)
    units = synthetic_units()
    questions = reference_questions(whole_lists(units))
    fold = fed(units, seed=5)
    streamed = blind_baselines(fold, lambda: units, seed=5)
    assert streamed == reference_blind(questions, seed=5, max_items=limit)
    sampled = streamed["all"]["items"]
    assert sampled == min(limit, len(questions))
    assert set(streamed["by_task"]) == {r["task"] for r in questions}


def test_text_only_sample_is_cut_to_the_core_feature_budget(monkeypatch):
    """fragments' checks take the one core budget: with a budget a third of the sample's features,
    the report sees exactly the lowest-ranked items that fit (fewer than the sample)."""
    units = synthetic_units()
    questions = reference_questions(whole_lists(units))
    items = [ChoiceItem(r["id"], {"video": r["video_id"]}, r["question"], tuple(r["options"]),
                        LETTERS.index(r["answer"]), r["template"]) for r in questions]
    budget = sum(map(feature_count, items)) // 3
    monkeypatch.setattr(blind, "FEATURE_BUDGET", budget)
    streamed = blind_baselines(fed(units, seed=5), lambda: units, seed=5)
    expected = len(within_feature_budget(items, 5, budget))
    assert streamed["all"]["items"] == expected < len(questions)
