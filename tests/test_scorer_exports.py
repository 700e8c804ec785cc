"""Every exported scorer, table-driven over the common reply shapes.

Acceptance of issue 9: through each export's own scoring code (lmms-eval ``process_results`` of
finebench and TimeWar tasks, VLMEvalKit ``evaluate`` of both classes), a reply of every common shape
scores 1.0 when it names the key and 0.0 when it names another option or none, on the finebench
demo, the real AVA excerpt and the timewarp demo. The embedded parser and frame helper are the
tested modules, byte for byte.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from pipelines.cli import main
from pipelines.core import answers, evalframes
from pipelines.core.video import VIDEO_SUFFIXES
from tests.scorer_harness import lmms_utils, task_yaml, timewarp_demo_without_media, vlmevalkit_class

LETTERS = "ABCD"
# {L}: a letter, {l}: it in lower case, {T}: its option's text
NAMING_SHAPES = ["{L}", "{l}", "({L})", "({l})", "[{L}]", "{L}.", "{l})", "{L}: {T}", "{L}. {T}",
                 "Answer: {l}", "Answer: {L}", "The answer is {L}.", "The correct option is ({l}).",
                 "**{L}**", "Option {L}", "I choose {L}", "It is a clear case: {L}",
                 "A careful look gives {L}", "{T}", "{T}.", "{TU}", "The answer is: {T}"]
UNANSWERED = ["", "I cannot tell.", "{L} or {M}", "{L}, {M}", "either ({l}) or ({m})"]


def fill(shape: str, options: list[str], letter: str, other: str) -> str:
    text = options[LETTERS.index(letter)]
    return shape.format(L=letter, l=letter.lower(), T=text, TU=text.upper(), M=other, m=other.lower())


def other_letter(answer: str, count: int) -> str:
    return LETTERS[(LETTERS.index(answer) + 1) % count]


# --- builds -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def finebench_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fb_demo")
    assert main(["finebench", "build", "--out", str(out), "--no-progress"]) == 0
    return out / "finebench" / "0.1.0"


@pytest.fixture(scope="module")
def timewarp_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The timewarp demo metadata built without rendering (scoring needs no clips)."""
    return timewarp_demo_without_media(tmp_path_factory.mktemp("tw_demo"))


@pytest.fixture(params=["finebench_demo", "ava_excerpt"])
def finebench_build(request: pytest.FixtureRequest) -> Path:
    if request.param == "ava_excerpt":
        return request.getfixturevalue("real_build").build_dir
    return request.getfixturevalue("finebench_demo")


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# --- the embedded sources ------------------------------------------------------------------------------

def embedded(text: str, module_path: str) -> str:
    begin = f"# ==== begin {module_path} (embedded verbatim by FineForge) ====\n"
    end = f"# ==== end {module_path} ===="
    assert text.count(begin) == 1 and text.count(end) == 1, module_path
    return text.split(begin, 1)[1].split(end, 1)[0]


def exported_scorers(build: Path) -> list[Path]:
    return sorted(build.glob("exports/lmms_eval/utils.py")) + sorted(build.glob("exports/vlmevalkit/*.py"))


def test_exports_embed_the_tested_sources(finebench_demo: Path, timewarp_demo: Path) -> None:
    files = exported_scorers(finebench_demo) + exported_scorers(timewarp_demo)
    assert len(files) == 4
    for path in files:
        text = path.read_text()
        assert embedded(text, "pipelines/core/answers.py") == Path(answers.__file__).read_text()
        assert embedded(text, "pipelines/core/evalframes.py") == Path(evalframes.__file__).read_text()
        compile(text, str(path), "exec")
    assert evalframes.VIDEO_SUFFIXES == VIDEO_SUFFIXES  # the toolkit's find_video suffixes


# --- lmms-eval -----------------------------------------------------------------------------------------

def check_shapes(docs: list[dict[str, Any]], score: Callable[[dict[str, Any], str], float]) -> None:
    """Every naming shape scores 1.0 for the key and 0.0 for another option; unanswered 0.0."""
    assert docs
    for doc in docs:
        options, key = doc["options"], doc["answer"]
        wrong = other_letter(key, len(options))
        for shape in NAMING_SHAPES:
            right_reply, wrong_reply = fill(shape, options, key, wrong), fill(shape, options, wrong, key)
            assert score(doc, right_reply) == 1.0, (doc["id"], right_reply)
            assert score(doc, wrong_reply) == 0.0, (doc["id"], wrong_reply)
        for shape in UNANSWERED:
            assert score(doc, fill(shape, options, key, wrong)) == 0.0, (doc["id"], shape)


def test_lmms_eval_finebench_shapes_and_categories(finebench_build: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    folder = finebench_build / "exports" / "lmms_eval"
    utils = lmms_utils(folder)
    monkeypatch.chdir(tmp_path)  # any working directory
    for config in ("mcq", "subset"):
        task = task_yaml(folder / f"finebench_{config}.yaml", utils)
        data = task["dataset_kwargs"]["data_files"]["test"]
        assert Path(data).is_absolute() and Path(data).is_file()
        docs = jsonl(Path(data))
        metrics = [m["metric"] for m in task["metric_list"]]
        assert metrics == ["accuracy", *sorted({f"accuracy_{d['category']}" for d in docs})]
        process = task["process_results"]

        def score(doc: dict[str, Any], reply: str, process: Callable = process,
                  metrics: list[str] = metrics) -> float:
            returned = process(doc, [reply])
            assert set(returned) == {"accuracy", f"accuracy_{doc['category']}"} <= set(metrics)
            assert returned["accuracy"] == returned[f"accuracy_{doc['category']}"]
            return returned["accuracy"]

        check_shapes(docs if config == "mcq" else docs[:20], score)


def test_lmms_eval_timewar_shapes(timewarp_demo: Path) -> None:
    folder = timewarp_demo / "exports" / "lmms_eval"
    utils = lmms_utils(folder)
    for name in ("normal", "shuffled", "paired"):
        task = task_yaml(folder / f"timewar_{name}.yaml", utils)
        data = task["dataset_kwargs"]["data_files"]["test"]
        docs = [d for f in ([data] if isinstance(data, str) else data) for d in jsonl(Path(f))]
        metrics = {m["metric"] for m in task["metric_list"]}
        process = task["process_results"]

        def score(doc: dict[str, Any], reply: str, process: Callable = process,
                  metrics: set[str] = metrics) -> float:
            returned = process(doc, [reply])
            assert set(returned) <= metrics
            return returned["accuracy"]

        check_shapes(docs, score)


def paired_items(utils: Any, docs: list[dict[str, Any]], reply: Callable[[dict[str, Any]], str]) -> list:
    return [utils.timewar_paired_process_results(d, [reply(d)])["paired_group"] for d in docs]


def test_lmms_eval_timewar_paired_scores_whatever_the_order(timewarp_demo: Path) -> None:
    folder = timewarp_demo / "exports" / "lmms_eval"
    utils = lmms_utils(folder)
    task = task_yaml(folder / "timewar_paired.yaml", utils)
    docs = [d for f in task["dataset_kwargs"]["data_files"]["test"] for d in jsonl(Path(f))]
    normal_answer = {d["pair_id"]: d["answer"] for d in docs if d["variant"] == "normal"}
    aggregate = {m["metric"]: m["aggregation"] for m in task["metric_list"]
                 if m["metric"].startswith("paired")}
    assert set(aggregate) == {"paired_text", "paired_video", "paired_group"}
    cases = {"right": (lambda d: f"Answer: {d['answer']}", 1.0),
             "normal_order_always": (lambda d: normal_answer[d["pair_id"]], 0.0),  # ignores the clip
             "unanswered": (lambda d: "no idea", 0.0)}
    rng = random.Random(0)
    for reply, expected in cases.values():
        items = paired_items(utils, docs, reply)
        for _ in range(3):
            for fn in aggregate.values():
                assert fn(items) == expected
            rng.shuffle(items)
    # one pair wrong on the shuffled clip -> exactly one pair fails
    wrong_id = docs[0]["pair_id"]
    items = paired_items(utils, docs, lambda d: normal_answer[d["pair_id"]] if d["pair_id"] == wrong_id
                         else d["answer"])
    pairs = len(normal_answer)
    assert aggregate["paired_group"](items[::-1]) == pytest.approx((pairs - 1) / pairs)


# --- VLMEvalKit ----------------------------------------------------------------------------------------

def vlmevalkit_scores(build: Path, file: str, cls: str, dataset: str, tmp_path: Path,
                      monkeypatch: pytest.MonkeyPatch, reply: Callable[[dict[str, Any], str], str]
                      ) -> dict[str, float]:
    """``evaluate`` of the exported class on one prediction file holding every row once per shape
    of :data:`NAMING_SHAPES`, replying ``reply(row, shape)``: a mean of 1.0 (0.0) means every
    (row, shape) scored 1 (0)."""
    lmu = tmp_path / "LMUData"
    lmu.mkdir(exist_ok=True)
    monkeypatch.setenv("LMUData", str(lmu))
    tsv = build / "exports" / "vlmevalkit" / f"{dataset}.tsv"
    (lmu / tsv.name).write_bytes(tsv.read_bytes())
    klass = vlmevalkit_class(build / "exports" / "vlmevalkit" / file, cls)
    rows = klass(dataset=dataset).data.to_dict("records")
    predictions = pd.DataFrame([{**row, "prediction": reply(row, shape)} for shape in NAMING_SHAPES
                                for row in rows])
    if "pair_id" in predictions:  # one pair per (pair, shape): the paired scores see every shape
        predictions["pair_id"] = [f"{p}#{i // len(rows)}" for i, p in enumerate(predictions["pair_id"])]
    predictions["index"] = range(len(predictions))
    path = tmp_path / f"model_{dataset}.tsv"
    predictions.to_csv(path, sep="\t", index=False)
    return klass(dataset=dataset).evaluate(str(path)).iloc[0].to_dict()


def row_options(row: dict[str, Any]) -> list[str]:
    return [c.split(". ", 1)[1] for c in json.loads(row["candidates"])]


def naming(right: bool) -> Callable[[dict[str, Any], str], str]:
    """A reply of ``shape`` naming the row's key (``right``) or another option."""
    def reply(row: dict[str, Any], shape: str) -> str:
        options, key = row_options(row), row["answer"]
        wrong = other_letter(key, len(options))
        return fill(shape, options, key, wrong) if right else fill(shape, options, wrong, key)

    return reply


@pytest.mark.parametrize("right", [True, False], ids=["key", "other"])
def test_vlmevalkit_finebench_shapes(finebench_build: Path, right: bool, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    scores = vlmevalkit_scores(finebench_build, "finebench_dataset.py", "FineBench", "FineBench_mcq",
                               tmp_path, monkeypatch, naming(right))
    categories = [k for k in scores if k.startswith("category/")]
    assert len(categories) == 3
    assert all(scores[k] == float(right) for k in [*categories, "overall"])


@pytest.mark.parametrize("dataset", ["TimeWar_normal", "TimeWar_shuffled", "TimeWar_paired"])
@pytest.mark.parametrize("right", [True, False], ids=["key", "other"])
def test_vlmevalkit_timewar_shapes(timewarp_demo: Path, dataset: str, right: bool, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    scores = vlmevalkit_scores(timewarp_demo, "timewar_dataset.py", "TimeWar", dataset, tmp_path,
                               monkeypatch, naming(right))
    assert scores["overall"] == float(right)
    if dataset == "TimeWar_paired":
        assert scores["paired/pairs"] > 0
        assert scores["paired/group"] == scores["paired/text"] == float(right)


def test_vlmevalkit_timewar_paired_is_order_free(timewarp_demo: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    lmu = tmp_path / "LMUData"
    lmu.mkdir()
    monkeypatch.setenv("LMUData", str(lmu))
    source = timewarp_demo / "exports" / "vlmevalkit" / "TimeWar_paired.tsv"
    frame = pd.read_csv(source, sep="\t", dtype=str, keep_default_na=False)
    normal = dict(zip(frame[frame.variant == "normal"].pair_id, frame[frame.variant == "normal"].answer,
                      strict=True))
    reversed_rows = frame.iloc[::-1].reset_index(drop=True)  # shuffled rows first
    reversed_rows["index"] = range(len(reversed_rows))
    reversed_rows.to_csv(lmu / "TimeWar_paired.tsv", sep="\t", index=False)
    klass = vlmevalkit_class(timewarp_demo / "exports" / "vlmevalkit" / "timewar_dataset.py", "TimeWar")
    data = klass(dataset="TimeWar_paired").data.copy()
    for reply, expected in ((lambda r: f"({r['answer']})", 1.0), (lambda r: normal[r["pair_id"]], 0.0)):
        data["prediction"] = [reply(row) for _, row in data.iterrows()]
        data.to_csv(tmp_path / "pred.tsv", sep="\t", index=False)
        scores = klass(dataset="TimeWar_paired").evaluate(str(tmp_path / "pred.tsv")).iloc[0]
        assert scores["paired/group"] == scores["paired/video"] == expected
        assert scores["paired/pairs"] == len(normal)


def test_scorers_name_no_letter_outside_the_options() -> None:
    assert re.fullmatch(r"[A-D]", answers.parse_choice("D", ["a", "b", "c", "d"]) or "")
    assert answers.parse_choice("E", ["a", "b", "c", "d"]) is None
