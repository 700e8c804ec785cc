"""Probe a video without ffprobe: one ``ffmpeg -c copy -f framecrc`` pass (demux only, no decode).

Contract of :func:`probe`: returns a :class:`VideoInfo` for a readable file whose first video
stream demuxes cleanly; raises :class:`InputError` naming the file otherwise (missing, empty,
not a video, no video stream, truncated or corrupt container, timeout). Frame count, fps and the
key-frame positions come from the video packets themselves, so they are exact, not estimates
from the header.
"""

from __future__ import annotations

import bisect
import itertools
import re
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from pipelines.core.errors import InputError
from pipelines.core.video.ffmpeg_bin import check_readable, ffmpeg_exe, media_arg, summarise

PROBE_TIMEOUT = 120.0


@dataclass(frozen=True)
class VideoInfo:
    """What a video file is. Times are seconds from the first video frame."""

    path: Path
    duration: float  # container duration (ffmpeg's "Duration:" line; the longest stream)
    fps: Fraction  # exact frame rate (from packet durations), e.g. 30000/1001
    frame_count: int  # video packets (= frames) in the file
    width: int
    height: int
    codec: str  # e.g. "h264"
    pix_fmt: str  # e.g. "yuv420p"
    has_audio: bool
    audio_codec: str | None
    audio_rate: int | None
    audio_layout: str | None  # e.g. "stereo", "5.1"
    keyframes: tuple[int, ...]  # indices (presentation order) of key frames

    @property
    def video_duration(self) -> float:
        """Seconds of video: frame_count / fps."""
        return float(self.frame_count / self.fps)

    def keyframe_before(self, index: int) -> int:
        """Index of the last key frame at or before frame ``index`` (0 if none)."""
        pos = bisect.bisect_right(self.keyframes, index)
        return self.keyframes[pos - 1] if pos else 0


_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_STREAM = re.compile(r"Stream #0:\d+\S*: (Video|Audio): (.*)$")


def probe(path: str | Path, *, timeout: float = PROBE_TIMEOUT) -> VideoInfo:
    """Describe ``path`` (see module contract)."""
    src = check_readable(path)
    cmd = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-nostats", "-loglevel", "level+info",
           "-i", media_arg(src), "-map", "0:V:0", "-c", "copy", "-f", "framecrc", "pipe:1"]
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired:
        raise InputError(path, f"probe: ffmpeg timed out after {timeout:g} s "
                               "(unreadable, blocking or very slow input)") from None
    err = proc.stderr.decode("utf-8", "replace")
    streams = [m.groups() for m in map(_STREAM.search, err.splitlines()) if m]
    video = [s for kind, s in streams if kind == "Video" and "attached pic" not in s]
    audio = [s for kind, s in streams if kind == "Audio"]
    problems = [ln for ln in err.splitlines() if "[error]" in ln or "[fatal]" in ln]
    if "Input #0" in err and not video:
        raise InputError(path, "no video stream")
    if proc.returncode != 0 or "Input #0" not in err:
        raise InputError(path, f"not a readable video ({summarise(_untag(problems) or err)})")
    if problems:
        raise InputError(path, f"corrupt or truncated video ({summarise(_untag(problems))})")
    return _build(src, err, video[0], audio, proc.stdout.decode("ascii", "replace"))


def _untag(lines: list[str]) -> str:
    return "\n".join(re.sub(r"\[(error|fatal)\]\s*", "", ln) for ln in lines)


def _split_top(s: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    parts, depth, cur = [], 0, []
    for ch in s:
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur).strip())
    return parts


def _build(src: Path, err: str, vline: str, alines: list[str], crc: str) -> VideoInfo:
    tb = Fraction(1, 1)
    pts: list[int] = []
    durs: list[int] = []
    key_pts: list[int] = []
    dims = (0, 0)
    for line in crc.splitlines():
        if line.startswith("#tb 0:"):
            tb = Fraction(line.split(":", 1)[1].strip())
        elif line.startswith("#dimensions 0:"):
            w, h = line.split(":", 1)[1].strip().split("x")
            dims = (int(w), int(h))
        elif line and not line.startswith("#"):
            f = [x.strip() for x in line.split(",")]
            flags = int(f[6][2:], 16) if len(f) > 6 and f[6].startswith("F=") else 1
            if flags & 0x4:  # discarded (edit list)
                continue
            pts.append(int(f[2]))
            durs.append(int(f[3]))
            if flags & 0x1:
                key_pts.append(int(f[2]))
    if not pts:
        raise InputError(src, "no video frames")
    order = sorted(pts)
    steps = sorted(d for d in durs if d > 0) or sorted(b - a for a, b in itertools.pairwise(order) if b > a)
    fps = _fps(src, tb, steps[len(steps) // 2] if steps else 0, vline)
    rank = {p: i for i, p in enumerate(order)}
    vparts = _split_top(vline)
    m = _DURATION.search(err)
    duration = round(int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3]), 6) if m else float(len(pts) / fps)
    aparts = _split_top(alines[0]) if alines else []
    return VideoInfo(
        path=src, duration=duration, fps=fps, frame_count=len(pts), width=dims[0], height=dims[1],
        codec=vparts[0].split()[0], pix_fmt=vparts[1].split("(")[0].strip() if len(vparts) > 1 else "",
        has_audio=bool(alines), audio_codec=aparts[0].split()[0] if aparts else None,
        audio_rate=int(aparts[1].split()[0]) if len(aparts) > 1 and aparts[1].endswith("Hz") else None,
        audio_layout=aparts[2] if len(aparts) > 2 else None,
        keyframes=tuple(sorted({rank[p] for p in key_pts})) or (0,),
    )


def _fps(src: Path, tb: Fraction, step: int, vline: str) -> Fraction:
    if step > 0:
        return (1 / (tb * step)).limit_denominator(1001)
    m = re.search(r"([\d.]+k?) (?:fps|tbr)", vline)
    if not m:
        raise InputError(src, "cannot determine the frame rate")
    text = m[1]
    value = float(text[:-1]) * 1000 if text.endswith("k") else float(text)
    for ntsc in (24000, 30000, 48000, 60000, 120000):
        if abs(value - ntsc / 1001) < 0.006:
            return Fraction(ntsc, 1001)
    return Fraction(value).limit_denominator(1001)
