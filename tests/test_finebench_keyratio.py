"""The key-ratio fallback (keyratio.py): tried only when kept misses its target, used only when the
looser plan keeps more units with its text-only check a point under the target, and the build's
output is exactly what the attempt measured."""

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.core.executors import LocalExecutor
from pipelines.finebench import keyratio
from pipelines.finebench.blindstats import blind_report
from pipelines.finebench.build import FinebenchInputs, build_finebench
from pipelines.finebench.config import FinebenchParams
from tests.conftest import shared_file


def real_csv(folder: Path, *names: str) -> Path:
    path = folder / "input.csv"
    path.write_text("".join(shared_file("ava", name).read_text() for name in names))
    return path


def build(csv_path: Path, out: Path, **params):
    """A build of the direct + NOT forms (the none family keeps >= 60% on these files, so the
    fallback would have nothing to do)."""
    params = {"none_option": False, "not_form": True, **params}
    inputs = FinebenchInputs(csv_path, shared_file("ava", "ava_action_list_v2.2.pbtxt"))
    return build_finebench(inputs, FinebenchParams(**params), out, "1.0.0", LocalExecutor(1, progress=False))


def shards(result) -> pa.Table:
    files = sorted((result.build_dir / "data" / "mcq").glob("*.parquet"))
    return pa.concat_tables([pq.read_table(p) for p in files])


@pytest.fixture(scope="module")
def both_files(tmp_path_factory) -> Path:
    return real_csv(tmp_path_factory.mktemp("both"), "ava_val_v2.2_excerpt.csv", "ava_val_v2.2_blocks.csv")


def test_fallback_used_when_kept_misses_and_the_check_holds(both_files, tmp_path):
    # the excerpt and the blocks file together keep 59.9% at 0.25 (seed 0)
    result = build(both_files, tmp_path / "auto")
    record, figures = result.stats["key_ratio"], result.stats["acceptance"]
    first, second = record["attempts"]
    assert first == {"ratio": 0.25, "kept": pytest.approx(0.599, abs=0.001), "blind_best": None}
    assert record["ratio"] == second["ratio"] == 0.27
    assert second["kept"] > first["kept"] and second["blind_best"] <= keyratio.FALLBACK_BLIND
    # the build is what the attempt measured: its kept, and its blind model refitted on the shards
    assert figures["kept"] == pytest.approx(second["kept"])
    assert figures["blind_best"] == second["blind_best"]
    assert blind_report(shards(result), 0, FinebenchParams().blind_sample)["best"] == second["blind_best"]
    # and the default plan's output is what the first attempt counted
    plain = build(both_files, tmp_path / "plain", fallback_key_ratio=0)
    assert plain.stats["acceptance"]["kept"] == pytest.approx(first["kept"])
    assert plain.stats["key_ratio"] == {"ratio": 0.25, "attempts": [], "reason": "default"}
    card = (result.build_dir / "README.md").read_text()
    assert "Key ratio used: **0.27**" in card and "| 0.27 | 64.8% | 28.9% |" in card


def test_no_fallback_when_kept_meets_the_target(tmp_path):
    csv_path = real_csv(tmp_path, "ava_val_v2.2_blocks.csv")  # keeps 64.1% at 0.25
    result = build(csv_path, tmp_path / "auto")
    assert result.stats["key_ratio"]["ratio"] == 0.25
    assert [a["ratio"] for a in result.stats["key_ratio"]["attempts"]] == [0.25]
    assert shards(result).equals(shards(build(csv_path, tmp_path / "plain", fallback_key_ratio=0)))


def test_fallback_refused_when_its_check_is_above_the_margin(both_files, tmp_path, monkeypatch):
    def too_easy(table, seed, sample):
        return {"best": keyratio.FALLBACK_BLIND + 0.005}

    monkeypatch.setattr(keyratio, "blind_report", too_easy)
    result = build(both_files, tmp_path / "auto", blind_sample=0)
    assert result.stats["key_ratio"]["ratio"] == 0.25  # no text-only check: nothing tried
    assert result.stats["key_ratio"]["attempts"] == []
    result = build(both_files, tmp_path / "refused")
    record = result.stats["key_ratio"]
    assert record["ratio"] == 0.25 and [a["ratio"] for a in record["attempts"]] == [0.25, 0.27]
    assert "text-only check is above 29%" in record["reason"]
    assert result.stats["acceptance"]["kept"] == pytest.approx(record["attempts"][0]["kept"])
