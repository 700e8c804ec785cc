"""revos's streamed publication (streaming.py): the demo built unit by unit from the work cache
gives the bytes the whole-list writers give when fed every row at once, and the text-only model
of ``when_mcq`` sees the keyed sample blind.py takes of the whole list."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.core.blind import blind_choice_report
from pipelines.core.executors import LocalExecutor
from pipelines.core.shards import write_shards
from pipelines.revos import fold
from pipelines.revos.build import build_revos
from pipelines.revos.config import RevosParams
from pipelines.revos.demo_tpo import write_demo_inputs
from pipelines.revos.plan import RevosInputs
from pipelines.revos.publish import write_card_exports_report
from pipelines.revos.schema import FEATURES, SPLITS
from pipelines.revos.units import CONFIGS


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.name.startswith(".")}


@pytest.mark.parametrize("sample", [fold.SAMPLE, 2])
def test_streamed_build_equals_the_whole_list_writers(tmp_path: Path, monkeypatch, sample: int) -> None:
    monkeypatch.setattr(fold, "SAMPLE", sample)
    written = write_demo_inputs(tmp_path / "inputs")
    inputs = RevosInputs(revos=written.revos, ava_csv=written.ava_csv, finevideo=written.finevideo)
    params = RevosParams()
    outcome = build_revos(inputs, params, tmp_path / "out", "1.0.0", LocalExecutor(1, progress=False))
    records = outcome.tables
    whole = tmp_path / "whole"
    for config in CONFIGS:
        write_shards(whole, config, SPLITS[config], records[config], FEATURES[config])
    units = outcome.build.state["units"]
    stats = write_card_exports_report(whole, records, outcome.ledger, params, "1.0.0",
                                      outcome.manifest["input_files"], units)
    assert stats == outcome.stats
    when = [fold.when_item(r) for r in records["when_mcq"]]
    assert len(when) > sample or sample == fold.SAMPLE
    assert stats["blind_when_mcq"] == blind_choice_report(when, seed=params.seed, max_items=sample)
    assert stats["blind_when_mcq"]["items"] == min(sample, len(when))
    expected, built = files(whole), files(outcome.build_dir)
    assert any(n.startswith("report/frames/") for n in expected) and len(
        [n for n in expected if n.startswith("exports/")]) == 20
    for name, data in expected.items():
        assert built[name] == data, name
