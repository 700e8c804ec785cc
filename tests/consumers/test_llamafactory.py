"""The LLaMA-Factory exports through LLaMA-Factory's own loader: ``get_dataset_list`` reads
``dataset_info.json`` and ``_load_single_dataset`` loads and aligns each file with the sharegpt
converter (ranking for DPO, ``kto_tag`` for KTO), resolving media against ``media_dir``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.consumers.gate import require

parser, loader, hparams, transformers = require(
    "llamafactory", "llamafactory.data.parser", "llamafactory.data.loader", "llamafactory.hparams",
    "transformers")

NAMES = ("timewarp_sft", "timewarp_dpo", "timewarp_kto")


def aligned(build: Path, name: str, tmp_path: Path, media_dir: Path | None = None) -> list[dict[str, Any]]:
    data_args = hparams.DataArguments(dataset_dir=str(build / "exports" / "llamafactory"),
                                      media_dir=str(media_dir or build))
    model_args = hparams.ModelArguments(model_name_or_path="unused-no-model-is-loaded")
    training_args = transformers.Seq2SeqTrainingArguments(output_dir=str(tmp_path / name), report_to="none")
    (attr,) = parser.get_dataset_list([name], data_args.dataset_dir)
    return loader._load_single_dataset(attr, model_args, data_args, training_args).to_list()


@pytest.mark.parametrize("media", [True, False], ids=["media", "text_only"])
def test_sharegpt_records_align(media: bool, timewarp_demo: Path, timewarp_text_only: Path,
                                tmp_path: Path) -> None:
    build = timewarp_demo if media else timewarp_text_only
    for name in NAMES:
        rows = aligned(build, name, tmp_path)
        source = json.loads((build / "exports" / "llamafactory" / f"{name}.json").read_text())
        assert rows and len(rows) == len(source)
        for row, record in zip(rows, source, strict=True):
            videos = row["_videos"] or []
            tags = sum(m["content"].count("<video>") for m in row["_prompt"] + row["_response"])
            assert tags == len(videos) == int(media)
            assert all(Path(v).is_absolute() and Path(v).is_file() for v in videos)
            assert row["_prompt"][0]["role"] == "user"
            responses = [m["content"] for m in row["_response"]]
            if name == "timewarp_sft":
                assert len(responses) == 1 and responses[0]
            elif name == "timewarp_dpo":  # ranking: chosen, rejected
                assert responses == [record["chosen"]["value"], record["rejected"]["value"]]
            else:  # KTO: LLaMA-Factory pads the side the kto_tag does not hold with ""
                kept = record["conversations"][-1]["value"]
                assert responses == ([kept, ""] if record["kto_tag"] else ["", kept])


@pytest.mark.parametrize("name", ["revos_pixtrqa", "revos_referring_segmentation"])
def test_revos_frames_resolve_to_image_files(name: str, revos_demo: Path, tmp_path: Path) -> None:
    """A frames-folder video reaches LLaMA-Factory as a list of frame files under ``media_dir``
    (the source dataset's root); as one folder path it would fail when the trainer opens it."""
    source_root = revos_demo.parent.parent / "demo_inputs" / "revos" / "revos"
    rows = aligned(revos_demo, name, tmp_path, media_dir=source_root)
    assert rows
    for row in rows:
        (frames,) = row["_videos"]
        assert isinstance(frames, list) and len(frames) >= 2
        assert all(Path(f).is_absolute() and Path(f).is_file() and f.endswith(".jpg") for f in frames)
        assert sum(m["content"].count("<video>") for m in row["_prompt"]) == 1
