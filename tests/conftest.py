"""Shared fixtures: the real samples in ../shared/data and builds made once per session."""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Builds sign their manifest with a per-user key; tests keep theirs out of the user's config.
# The folder is made only when no key file is named yet, and removed when the session ends.
if "FINEFORGE_KEY_FILE" not in os.environ:
    _KEY_DIR = tempfile.mkdtemp(prefix="fineforge-key-")
    atexit.register(shutil.rmtree, _KEY_DIR, True)
    os.environ["FINEFORGE_KEY_FILE"] = str(Path(_KEY_DIR) / "key")
# A git worktree outside the usual layout names the samples folder in FINEFORGE_SHARED_DATA.
SHARED_DATA = Path(os.environ.get("FINEFORGE_SHARED_DATA", REPO.parent / "shared" / "data"))
AVA = SHARED_DATA / "ava"


def shared_file(*parts: str) -> Path:
    """A real sample file; its absence is an error (CI has ../shared beside the checkout)."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: the tests need ../shared/data beside the checkout")
    return path


def excerpt_head(folder: Path, rows: int) -> Path:
    """``folder/small.csv``: the first ``rows`` rows of the real AVA excerpt."""
    lines = shared_file("ava", "ava_val_v2.2_excerpt.csv").read_text().splitlines()
    path = folder / "small.csv"
    path.write_text("\n".join(lines[:rows]) + "\n")
    return path


@pytest.fixture(scope="session")
def ava_files() -> dict[str, Path]:
    return {"csv": shared_file("ava", "ava_val_v2.2_excerpt.csv"),
            "labels": shared_file("ava", "ava_action_list_v2.2.pbtxt"),
            "excluded": shared_file("ava", "ava_val_excluded_timestamps_v2.2.csv")}


@pytest.fixture(scope="session")
def real_build(tmp_path_factory: pytest.TempPathFactory, ava_files: dict[str, Path]):
    """finebench built once on the real AVA excerpt (default parameters, one worker)."""
    from pipelines.core.executors import LocalExecutor
    from pipelines.finebench.build import FinebenchInputs, build_finebench
    from pipelines.finebench.config import FinebenchParams

    out = tmp_path_factory.mktemp("real_build")
    inputs = FinebenchInputs(ava_files["csv"], ava_files["labels"], ava_files["excluded"])
    return build_finebench(inputs, FinebenchParams(), out, "1.0.0", LocalExecutor(1, progress=False))


def load_local(build_dir: Path, config: str, split: str):
    """``datasets.load_dataset`` on a build folder with a fresh cache.

    datasets 5.x keys its cache for a local folder without looking at the files' content (two
    different builds in folders both named ``0.1.0`` share one cache entry), so a reused cache can
    return another build's rows. Each call here gets its own cache folder.
    """
    import tempfile

    from datasets import load_dataset

    return load_dataset(str(build_dir), config, split=split, cache_dir=tempfile.mkdtemp(prefix="hfds-"))


def assert_exports_described(section: str, exports: Path) -> None:
    """Every file under ``exports`` is named in a card's Exports ``section``: by its path or, for a
    name written without a folder (``dataset_info.json`` beside another file), by its name; in a
    name, ``{a,b}`` stands for either and ``<config>`` for any name."""
    patterns = []
    for token in re.findall(r"`([^`\s]+)`", section):
        alternatives = re.sub(r"\\{([^}]*)\\}", lambda m: "(" + "|".join(m[1].split(",")) + ")",
                              re.escape(token))
        patterns.append((re.compile(alternatives.replace(re.escape("<config>"), "[a-z_]+") + "$"),
                         "/" not in token))
    files = sorted(p.relative_to(exports).as_posix() for p in exports.rglob("*") if p.is_file())
    assert files
    for name in files:
        assert any(rx.match(name.rsplit("/", 1)[-1] if bare else name) for rx, bare in patterns), name
