"""Builds the consumer tests read. These tests run only under ``make test-consumers``
(``FINEFORGE_CONSUMERS`` names the venv, see :func:`require`); in ``make test`` they are skipped."""

from __future__ import annotations

import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

from pipelines.cli import main
from pipelines.core.video import ffmpeg_exe

# A consumer dependency installs a top-level ``tests`` package into site-packages, which would
# shadow this repository's ``tests`` folder (a namespace package): pin ``tests`` to the folder.
_TESTS = str(Path(__file__).resolve().parents[1])
if _TESTS not in list(getattr(sys.modules.get("tests"), "__path__", [])):
    _package = types.ModuleType("tests")
    _package.__path__ = [_TESTS]
    sys.modules["tests"] = _package


@pytest.fixture(scope="session")
def finebench_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("consumer_fb")
    assert main(["finebench", "build", "--out", str(out), "--no-progress"]) == 0
    return out / "finebench" / "0.1.0"


@pytest.fixture(scope="session")
def timewarp_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The timewarp demo with its rendered clips and frame folders."""
    out = tmp_path_factory.mktemp("consumer_tw")
    assert main(["timewarp", "build", "--out", str(out), "--no-progress", "--workers", "2"]) == 0
    return out / "timewarp" / "0.1.0"


@pytest.fixture(scope="session")
def timewarp_text_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The timewarp demo metadata built without videos (text-only trainer exports)."""
    from tests.scorer_harness import timewarp_demo_without_media

    return timewarp_demo_without_media(tmp_path_factory.mktemp("consumer_tw_text"))


@pytest.fixture(scope="session")
def long_videos(tmp_path_factory: pytest.TempPathFactory, finebench_demo: Path, real_build) -> Path:
    """A folder with a 1900-s test-pattern video for every finebench video id (demo and AVA
    excerpt), alternately ``.mkv`` and ``.webm`` as the real AVA videos are."""
    folder = tmp_path_factory.mktemp("consumer_videos")
    made = {}
    codecs = {".mkv": ["-c:v", "libx264", "-g", "20"], ".webm": ["-c:v", "libvpx", "-b:v", "50k", "-g", "20"]}
    for suffix, codec in codecs.items():
        made[suffix] = folder / f"pattern{suffix}"
        subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                        "testsrc=size=96x54:rate=2", "-t", "1900", *codec, str(made[suffix])],
                       check=True, timeout=600)
    import json

    ids = set()
    for build in (finebench_demo, real_build.build_dir):
        for line in (build / "exports" / "lmms_eval" / "finebench_mcq.jsonl").read_text().splitlines():
            ids.add(json.loads(line)["video_id"])
    for i, video_id in enumerate(sorted(ids)):
        suffix = (".mkv", ".webm")[i % 2]
        shutil.copy(made[suffix], folder / f"{video_id}{suffix}")
    return folder


@pytest.fixture(scope="session")
def revos_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The revos demo build; its drawn ReVOS-format source is at ``<out>/demo_inputs/revos/revos``."""
    out = tmp_path_factory.mktemp("consumer_revos")
    assert main(["revos", "build", "--out", str(out), "--no-progress"]) == 0
    return out / "revos" / "0.1.0"
