"""The exported lmms-eval tasks through lmms-eval itself (0.7.2, the oldest supported release):
``TaskManager`` indexing of the export folder, ``simple_evaluate`` with a scripted model that
replies in every common shape, the tasks' own ``process_results`` and aggregations."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.consumers.gate import require
from tests.test_scorer_exports import NAMING_SHAPES, fill, other_letter

lmms_eval, evaluator, model_api, tasks_api = require(
    "eval-trl", "lmms_eval", "lmms_eval.evaluator", "lmms_eval.api.model", "lmms_eval.tasks")

Reply = Callable[[dict[str, Any], int], str]


class ScriptedModel(model_api.lmms):
    """Answers each request with ``reply(doc, n)`` and keeps what ``doc_to_visual`` gave it."""

    def __init__(self, reply: Reply) -> None:
        super().__init__()
        self.reply, self.seen = reply, []

    def generate_until(self, requests: list) -> list[str]:
        out = []
        for request in requests:
            _context, _kwargs, doc_to_visual, doc_id, task, split = request.args
            doc = self.task_dict[task][split][doc_id]
            self.seen.append((task, doc, doc_to_visual(doc)))
            out.append(self.reply(doc, len(out)))
        return out

    def loglikelihood(self, requests: list) -> list:
        raise NotImplementedError

    def generate_until_multi_round(self, requests: list) -> list:
        raise NotImplementedError


def naming(right: bool) -> Reply:
    def reply(doc: dict[str, Any], n: int) -> str:
        shape, key = NAMING_SHAPES[n % len(NAMING_SHAPES)], doc["answer"]
        wrong = other_letter(key, len(doc["options"]))
        return fill(shape, doc["options"], key, wrong) if right else fill(shape, doc["options"], wrong, key)
    return reply


def evaluate(folder: Path, names: list[str], reply: Reply) -> tuple[dict[str, Any], ScriptedModel]:
    model = ScriptedModel(reply)
    manager = tasks_api.TaskManager(include_path=str(folder), include_defaults=False)
    results = evaluator.simple_evaluate(model=model, tasks=names, task_manager=manager, bootstrap_iters=0,
                                        log_samples=False)
    scores = {name: {k.split(",")[0]: v for k, v in results["results"][name].items()} for name in names}
    for name in names:
        scores[name]["samples"] = results["n-samples"][name]["effective"]
    return scores, model


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("which", ["demo", "ava_excerpt"])
def test_finebench_task_scores_and_frames(which: str, finebench_demo: Path, real_build, long_videos: Path,
                                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build = finebench_demo if which == "demo" else real_build.build_dir
    folder = build / "exports" / "lmms_eval"
    monkeypatch.chdir(tmp_path)  # not the task folder: data files must still resolve
    monkeypatch.setenv("FINEBENCH_VIDEO_ROOT", str(long_videos))
    monkeypatch.setenv("FINEBENCH_FRAME_CACHE", str(tmp_path / "frames"))
    docs = jsonl(folder / "finebench_mcq.jsonl")
    categories = sorted({d["category"] for d in docs})
    for right in (True, False):
        scores, model = evaluate(folder, ["finebench_mcq"], naming(right))
        score = scores["finebench_mcq"]
        assert score["accuracy"] == float(right)
        assert score["samples"] == len(docs)
        assert {f"accuracy_{c}" for c in categories} <= set(score)
        assert all(score[f"accuracy_{c}"] == float(right) for c in categories)
        for _task, doc, visuals in model.seen:  # exactly the question's frames, as images
            assert len(visuals) == len(doc["frame_times"]) and all(v.mode == "RGB" for v in visuals)


def test_timewar_tasks_per_kind_and_paired(timewarp_demo: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    folder = timewarp_demo / "exports" / "lmms_eval"
    monkeypatch.chdir(tmp_path)
    names = ["timewar_normal", "timewar_shuffled", "timewar_paired"]
    scores, model = evaluate(folder, names, naming(True))
    for name in names:
        assert scores[name]["accuracy"] == 1.0
    kinds = {d["question_kind"] for d in jsonl(folder / "timewar_normal.jsonl")}
    assert all(scores["timewar_normal"][f"accuracy_{k}"] == 1.0 for k in kinds)
    assert {scores["timewar_paired"][f"paired_{m}"] for m in ("text", "video", "group")} == {1.0}
    for _task, doc, visuals in model.seen:
        assert visuals == [str(timewarp_demo / doc["video"])] and Path(visuals[0]).is_file()
    normal = {d["pair_id"]: d["answer"] for d in jsonl(folder / "timewar_normal.jsonl")}
    scores, _ = evaluate(folder, ["timewar_paired"], lambda doc, n: f"({normal[doc['pair_id']]})")
    paired = scores["timewar_paired"]
    assert (paired["accuracy_normal"], paired["accuracy_shuffled"]) == (1.0, 0.0)
    assert {paired[f"paired_{m}"] for m in ("text", "video", "group")} == {0.0}
