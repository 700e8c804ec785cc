"""The reply-shape table of test_scorer_exports.py through the fragments and revos scorers: their
lmms-eval ``process_results`` score 1.0 for every shape naming the key, 0.0 for another option
or no answer, whatever the number of options (Yes / No / Not sure included), and the exported
files carry the one reply parser verbatim (they run without FineForge installed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.cli import main
from pipelines.core import answers
from tests.scorer_harness import lmms_utils, task_yaml
from tests.test_scorer_exports import check_shapes, embedded, jsonl


@pytest.fixture(scope="module", params=[("fragments", ["fragments_fragment", "fragments_scene"]),
                                        ("revos", ["revos_when"])], ids=["fragments", "revos"])
def recipe_build(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                 ) -> tuple[Path, list[str]]:
    recipe, tasks = request.param
    out = tmp_path_factory.mktemp(recipe)
    assert main([recipe, "build", "--out", str(out), "--no-progress"]) == 0
    return out / recipe / "0.1.0", tasks


def test_lmms_eval_scorers_read_every_reply_shape(recipe_build, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    build, tasks = recipe_build
    folder = build / "exports" / "lmms_eval"
    text = (folder / "utils.py").read_text()
    assert embedded(text, "pipelines/core/answers.py") == Path(answers.__file__).read_text()
    utils = lmms_utils(folder)
    monkeypatch.chdir(tmp_path)  # any working directory
    for name in tasks:
        task = task_yaml(folder / f"{name}.yaml", utils)
        data = Path(task["dataset_kwargs"]["data_files"]["test"])
        assert data.is_absolute() and data.is_file()
        docs = jsonl(data)
        process = task["process_results"]
        check_shapes([{"id": doc.get("id", index), **doc} for index, doc in enumerate(docs)],
                     lambda doc, reply, process=process: process(doc, [reply])["accuracy"])
