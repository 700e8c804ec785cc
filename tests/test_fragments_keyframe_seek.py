"""Frame extraction runs that start on a key frame (the long-GOP fix in core.video.frames).

A run whose first wanted frame is a key frame must decode from that key frame, not from the one
before it, and must still return exactly the frames a sequential decode gives.
"""

from __future__ import annotations

from pathlib import Path

import ffmpeg
import numpy as np
import pytest
from video_fixtures import ffmpeg as run_ffmpeg
from video_fixtures import real, vdir

from pipelines.core.video import frames as frames_mod
from pipelines.core.video import iter_frames, probe
from pipelines.core.video.ffmpeg_bin import media_arg

__all__ = ["real", "vdir"]


@pytest.fixture(scope="module")
def open_gop(real: dict[str, Path], vdir: Path) -> Path:
    """bikes re-encoded with open GOPs, B-frames and a key frame every 40 frames."""
    out = vdir / "bikes_open_gop.mp4"
    run_ffmpeg("-i", media_arg(real["bikes"]), "-c:v", "libx264", "-preset", "ultrafast", "-x264-params",
               "open-gop=1:keyint=40:min-keyint=40:bframes=3:scenecut=0", "-an", media_arg(out))
    return out


def _seek_seconds(info: frames_mod.VideoInfo, key: int) -> float:
    args = ffmpeg.output(frames_mod._from_key_frame(info, key, 1.0), "pipe:1", format="null").get_args()
    return float(args[args.index("-ss") + 1])


@pytest.mark.parametrize("clip", ["bikes", "open_gop"])
def test_runs_on_key_frames_match_a_sequential_decode(clip: str, real: dict[str, Path], open_gop: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    info = probe(real["bikes"] if clip == "bikes" else open_gop)
    keys = [k for k in info.keyframes if k > 0]
    assert len(keys) >= 4, info.keyframes
    reference = dict(iter_frames(info, range(info.frame_count)))
    monkeypatch.setattr(frames_mod, "SPAWN_COST_S", -1.0)  # one run (one seek) per wanted frame
    # key frames, the frames after them, and the frames before them (leading frames of an open GOP)
    wanted = keys + [k + 1 for k in keys if k + 1 < info.frame_count] + [k - 1 for k in keys]
    got = dict(iter_frames(info, wanted))
    assert sorted(got) == sorted(set(wanted))
    for index in wanted:
        assert np.array_equal(got[index], reference[index]), f"frame {index} of {clip}"
    fps = float(info.fps)
    for key in keys:  # the demuxer lands on the key frame itself, not the GOP before it
        assert key / fps <= _seek_seconds(info, key) < (key + 1) / fps
