"""timewarp exports, data card and report, checked on a build of real FineVideo metadata files."""

from __future__ import annotations

import ast
import csv
import importlib.util
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipelines.core.executors import LocalExecutor
from pipelines.timewarp.build import TimewarpResult, build_timewarp
from pipelines.timewarp.config import TimewarpParams
from pipelines.timewarp.exports import CHOSEN_SCORE, REJECTED_SCORE, TSV_COLUMNS, frame_folder, plain
from pipelines.timewarp.publish import write_card_exports_report
from pipelines.timewarp.schema import SPLITS
from pipelines.timewarp.units import CONFIGS

FINEVIDEO = Path(__file__).resolve().parents[2] / "shared" / "data" / "finevideo"
SAMPLES = [f"sample_{i}.json" for i in range(12)]


def _build(tmp: Path) -> TimewarpResult:
    source = tmp / "finevideo"
    source.mkdir()
    for name in SAMPLES:
        if not (FINEVIDEO / name).is_file():
            raise FileNotFoundError(f"{FINEVIDEO / name} is missing: the tests need ../shared/data")
        shutil.copy(FINEVIDEO / name, source / name)
    return build_timewarp(source, TimewarpParams(), tmp / "out", "1.0.0", LocalExecutor(1, progress=False))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> TimewarpResult:
    result = _build(tmp_path_factory.mktemp("timewarp_exports"))
    assert all(result.records[c] for c in CONFIGS), "the sample files must yield rows for every config"
    return result


def _render_fake_frames(built: TimewarpResult, build_dir: Path) -> None:
    """A copy of ``built`` with frame folders (files created out of numeric order), re-exported."""
    shutil.copytree(built.build_dir, build_dir)
    videos = {r["video"] for c in ("dpo", "kto") for r in built.records[c]}
    videos |= {r["perturbed_video"] for r in built.records["dpo"]}
    for video in videos:
        folder = build_dir / frame_folder(video)
        folder.mkdir(parents=True)
        for number in (10, 2, 1, 11, 3):
            (folder / f"c01_{number:04d}.jpeg").write_bytes(b"\xff\xd8")
    write_card_exports_report(build_dir, built.records, built.stats, built.ledger, TimewarpParams(),
                              "1.0.0", {"x.json": "0" * 64})


@pytest.fixture(scope="module")
def rendered(built: TimewarpResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The exports folder of ``built`` re-exported with (stand-in) rendered frames."""
    build_dir = tmp_path_factory.mktemp("timewarp_rendered") / "build"
    _render_fake_frames(built, build_dir)
    return build_dir / "exports"


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def tsv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def exports(result: TimewarpResult) -> Path:
    return result.build_dir / "exports"


@pytest.mark.parametrize("media", [False, True], ids=["no_media", "media"])
def test_every_export_parses_and_counts_equal_config_rows(built: TimewarpResult, rendered: Path,
                                                          media: bool) -> None:
    out, rows = rendered if media else exports(built), {c: len(built.records[c]) for c in CONFIGS}
    if media:
        assert len(jsonl(out / "llava_hound" / "dpo.jsonl")) == rows["dpo"]
        assert len(json.loads((out / "llava" / "sft.json").read_text())) == rows["sft"]
    else:  # LLaVA / LLaVA-Hound records are nothing without their clip: not written
        assert not (out / "llava_hound").exists() and not (out / "llava").exists()
    assert len(jsonl(out / "trl" / "dpo.jsonl")) == rows["dpo"]
    assert len(jsonl(out / "trl" / "kto.jsonl")) == rows["kto"]
    for name in ("sft", "dpo", "kto"):
        assert len(json.loads((out / "llamafactory" / f"timewarp_{name}.json").read_text())) == rows[name]
    for variant in ("normal", "shuffled"):
        assert len(tsv(out / "vlmevalkit" / f"TimeWar_{variant}.tsv")) == rows[f"timewar_{variant}"]
        assert len(jsonl(out / "lmms_eval" / f"timewar_{variant}.jsonl")) == rows[f"timewar_{variant}"]
    paired = tsv(out / "vlmevalkit" / "TimeWar_paired.tsv")
    assert len(paired) == rows["timewar_normal"] + rows["timewar_shuffled"]
    assert [r["variant"] for r in paired] == (["normal"] * rows["timewar_normal"]
                                              + ["shuffled"] * rows["timewar_shuffled"])


def test_stale_media_exports_are_removed(built: TimewarpResult, rendered: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(rendered.parent, copy)
    shutil.rmtree(copy / "media")
    write_card_exports_report(copy, built.records, built.stats, built.ledger, TimewarpParams(),
                              "1.0.0", {"x.json": "0" * 64})
    assert not (copy / "exports" / "llava_hound" / "dpo.jsonl").exists()
    assert not (copy / "exports" / "llava" / "sft.json").exists()


@pytest.mark.parametrize("media", [False, True], ids=["no_media", "media"])
def test_llamafactory_video_tags_match_video_lists(built: TimewarpResult, rendered: Path,
                                                   media: bool) -> None:
    out = rendered if media else exports(built)
    for name in ("sft", "dpo", "kto"):
        for record in json.loads((out / "llamafactory" / f"timewarp_{name}.json").read_text()):
            videos = record.get("videos", [])
            assert ("videos" in record) is media and isinstance(videos, list) and len(videos) == int(media)
            texts = [m["value"] for m in record["conversations"]]
            texts += [record[k]["value"] for k in ("chosen", "rejected") if k in record]
            assert sum(t.count("<video>") for t in texts) == len(videos)
            assert record["conversations"][0]["from"] == "human"
            assert all(v.startswith("media/") and v.endswith(".mp4") for v in videos)
            if name == "kto":
                assert isinstance(record["kto_tag"], bool)
            if name == "dpo":
                assert len(record["conversations"]) == 1
                assert record["chosen"]["from"] == record["rejected"]["from"] == "gpt"


@pytest.mark.parametrize("media", [False, True], ids=["no_media", "media"])
def test_dataset_info_references_existing_files_and_columns(built: TimewarpResult, rendered: Path,
                                                            media: bool) -> None:
    folder = (rendered if media else exports(built)) / "llamafactory"
    info = json.loads((folder / "dataset_info.json").read_text())
    assert set(info) == {"timewarp_sft", "timewarp_dpo", "timewarp_kto"}
    for name, entry in info.items():
        assert entry["formatting"] == "sharegpt"
        assert entry.get("ranking", False) is (name == "timewarp_dpo")
        records = json.loads((folder / entry["file_name"]).read_text())
        assert entry["columns"].get("videos") == ("videos" if media else None)
        for record in records:
            assert set(entry["columns"].values()) <= set(record)
    assert info["timewarp_kto"]["columns"]["kto_tag"] == "kto_tag"
    assert {"chosen", "rejected"} <= set(info["timewarp_dpo"]["columns"])


def _image_parts(messages: list[dict[str, Any]]) -> int:
    return sum(part["type"] == "image" for m in messages if isinstance(m["content"], list)
               for part in m["content"])


def _check_trl(out: Path, media: bool) -> list[list[str]]:
    seen = []
    for name, completions in (("dpo", ("chosen", "rejected")), ("kto", ("completion",))):
        for record in jsonl(out / "trl" / f"{name}.jsonl"):
            images = ("images",) if media else ()
            assert set(record) == {"prompt", *completions, *images, *(("label",) if name == "kto" else ())}
            assert [m["role"] for m in record["prompt"]] == ["user"]
            assert _image_parts(record["prompt"]) == len(record.get("images", []))
            for message in record["prompt"] + [m for key in completions for m in record[key]]:
                # vision records use content parts; text-only ones plain strings (any chat template)
                assert isinstance(message["content"], list if media else str)
            if media:
                assert record["prompt"][0]["content"][-1]["type"] == "text"
            for key in completions:
                assert [m["role"] for m in record[key]] == ["assistant"]
                assert _image_parts(record[key]) == 0
            if name == "kto":
                assert isinstance(record["label"], bool)
            seen.append(record.get("images"))
    return seen


def test_trl_without_media_is_text_only(built: TimewarpResult) -> None:
    assert not (built.build_dir / "media").exists()
    assert all(images is None for images in _check_trl(exports(built), media=False))


def test_trl_with_frames_lists_them_in_numeric_order(built: TimewarpResult, rendered: Path) -> None:
    build_dir = rendered.parent
    for images in _check_trl(rendered, media=True):
        assert [Path(p).name for p in images] == [f"c01_{n:04d}.jpeg" for n in (1, 2, 3, 10, 11)]
        assert all((build_dir / p).is_file() for p in images)
    kto = jsonl(build_dir / "exports" / "trl" / "kto.jsonl")
    for record, row in zip(kto, built.records["kto"], strict=True):
        assert all(p.startswith(frame_folder(row["video"]) + "/") for p in record["images"])
    assert 'src="../media/' in (build_dir / "report" / "index.html").read_text()
    assert "This build includes the rendered media." in (build_dir / "README.md").read_text()


def test_llava_hound_answer_equals_chosen(built: TimewarpResult, rendered: Path) -> None:
    rows = jsonl(rendered / "llava_hound" / "dpo.jsonl")
    for record, row in zip(rows, built.records["dpo"], strict=True):
        assert list(record) == ["id", "video", "prompt", "answer", "chosen", "chosen_score", "rejected",
                                "rejected_score"]
        assert record["answer"] == record["chosen"] == row["chosen"]
        assert record["rejected"] == row["rejected"] != record["chosen"]
        assert (record["chosen_score"], record["rejected_score"]) == (CHOSEN_SCORE, REJECTED_SCORE)
        assert record["video"] == f"media/{row['video_id']}/normal_frames"


def test_llava_sft_conversations(built: TimewarpResult, rendered: Path) -> None:
    rows = json.loads((rendered / "llava" / "sft.json").read_text())
    for record, row in zip(rows, built.records["sft"], strict=True):
        human, gpt = record["conversations"]
        assert (human["from"], gpt["from"]) == ("human", "gpt")
        assert human["value"] == "<video>\n" + row["prompt"] and human["value"].count("<video>") == 1
        assert gpt["value"] == row["response"] and record["video"] == row["video"]


def test_timewar_tsv_candidates_and_answers(built: TimewarpResult) -> None:
    pairs: dict[str, dict[str, tuple[str, str]]] = {}
    for variant in ("normal", "shuffled"):
        path = exports(built) / "vlmevalkit" / f"TimeWar_{variant}.tsv"
        assert path.read_text().splitlines()[0].split("\t") == list(TSV_COLUMNS)
        by_id = {r["id"]: r for r in built.records[f"timewar_{variant}"]}
        for index, line in enumerate(tsv(path)):
            record = by_id[line["id"]]
            candidates = ast.literal_eval(line["candidates"])
            assert candidates == json.loads(line["candidates"])
            assert [c[:3] for c in candidates] == ["A. ", "B. ", "C. ", "D. "]
            assert candidates["ABCD".index(line["answer"])][3:] == record["answer_text"]
            assert int(line["index"]) == index and line["category"] == record["question_kind"]
            assert line["video"] == f"media/{record['video_id']}/{variant}"
            pairs.setdefault(line["pair_id"], {})[variant] = (line["answer"], line["candidates"])
    for pair in pairs.values():  # same options, different answers
        assert pair["normal"][1] == pair["shuffled"][1] and pair["normal"][0] != pair["shuffled"][0]


class _TaskLoader(yaml.SafeLoader):
    """Reads lmms-eval task YAML (``!function module.name`` tags become strings)."""


_TaskLoader.add_constructor("!function", lambda loader, node: f"!function {loader.construct_scalar(node)}")


def _utils(folder: Path) -> Any:
    spec = importlib.util.spec_from_file_location("timewar_utils", folder / "utils.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _hook(utils: Any, value: str) -> Any:
    assert value.startswith("!function utils."), value
    return getattr(utils, value.removeprefix("!function utils."))


def test_lmms_eval_tasks(built: TimewarpResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = exports(built) / "lmms_eval"
    utils = _utils(folder)
    monkeypatch.chdir(tmp_path)  # data files resolve next to utils.py, not from the working directory
    kinds = {d["question_kind"] for v in ("normal", "shuffled") for d in jsonl(folder / f"timewar_{v}.jsonl")}
    for name in ("normal", "shuffled", "paired"):
        task = yaml.load((folder / f"timewar_{name}.yaml").read_text(), Loader=_TaskLoader)
        assert task["task"] == f"timewar_{name}" and task["dataset_path"] == "json"
        data = _hook(utils, task["dataset_kwargs"]["data_files"]["test"])
        files = [data] if isinstance(data, str) else data
        assert all(Path(f).is_absolute() and Path(f).is_file() for f in files)
        docs = [json.loads(line) for f in files for line in Path(f).read_text().splitlines()]
        metrics = [m["metric"] for m in task["metric_list"]]
        process = _hook(utils, task["process_results"])
        for doc in docs:
            returned = process(doc, [f"({doc['answer']})"])
            assert set(returned) <= set(metrics) and returned["accuracy"] == 1.0
        if name == "paired":
            assert metrics == ["accuracy", "accuracy_normal", "accuracy_shuffled", "paired_text",
                               "paired_video", "paired_group"]
        else:
            assert metrics == ["accuracy", *sorted(f"accuracy_{k}" for k in kinds
                                                   if any(d["question_kind"] == k for d in docs))]
        assert task["doc_to_target"] == "answer" and "D. " in _hook(utils, task["doc_to_text"])(docs[0])
    with pytest.raises(FileNotFoundError, match="made without videos"):
        utils.timewar_doc_to_visual(jsonl(folder / "timewar_normal.jsonl")[0])
    compile((exports(built) / "vlmevalkit" / "timewar_dataset.py").read_text(), "timewar_dataset.py", "exec")


def test_card_header_lists_every_config(built: TimewarpResult) -> None:
    text = (built.build_dir / "README.md").read_text()
    header = yaml.safe_load(text.split("---\n", 2)[1])
    assert header["license"] == "cc-by-4.0" and header["language"] == ["en"]
    assert {"task_categories", "size_categories", "tags", "pretty_name"} <= set(header)
    assert [c["config_name"] for c in header["configs"]] == list(CONFIGS)
    for config in header["configs"]:
        (files,) = config["data_files"]
        assert files["split"] == SPLITS[config["config_name"]]
        assert list(built.build_dir.glob(files["path"])), files["path"]
    for needle in ("offline_caption_standin", "at least 3 of 4", "at least 5 of 8", "group score",
                   "HuggingFaceFV/finevideo", "This build was made without videos"):
        assert needle in text
    for name, digest in built.manifest["input_files"].items():
        assert f"| {name} | `{digest}` |" in text


def test_card_says_how_this_builds_implicit_rows_were_made(built: TimewarpResult) -> None:
    """'How it was made' describes vision-model implicit pairs; an offline build has none of those,
    so the card must say, there, that its rows are the caption-derived stand-in."""
    text = (built.build_dir / "README.md").read_text()
    made = text.split("## How it was made")[1].split("## Accounting")[0]
    rows = built.records["implicit"]
    assert rows and {r["backend"] for r in rows} == {"offline_caption_standin"}
    assert f"{len(rows)} of {len(rows)} rows are instead the offline caption-derived" in made
    # a shuffle of 3+ scenes is never the reversal (perturb.shuffled_order): the card says so
    assert "with three or more scenes, never the reversal" in made
    shuffled = [list(r["scene_order"]) for r in built.records["dpo"] if r["perturbation"] == "shuffled"]
    assert shuffled and all(len(o) >= 3 and o != sorted(o, reverse=True) for o in shuffled)


def test_report_has_charts_and_samples(built: TimewarpResult) -> None:
    html = (built.build_dir / "report" / "index.html").read_text()
    assert html.count("<svg") >= 8
    assert built.records["dpo"][0]["id"] in html and built.records["implicit"][0]["id"] in html
    assert built.records["ordering_probe"][0]["video_id"] in html


def test_plain_defuses_media_placeholders() -> None:
    assert plain("a <video> of an <Image> tag") == "a video of an Image tag"
