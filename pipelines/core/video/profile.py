"""The one encoding profile every rendered variant uses, and the time-to-frame rule.

Contract:
- Every output made from one source with one :class:`EncodeProfile` has the same codec (H.264,
  libx264), pixel format (yuv420p), constant frame rate, size and audio layout (AAC at a fixed
  rate and channel count, or no audio), so variants cannot be told apart by their container.
- Output bytes are a pure function of (input, parameters, ffmpeg build): bit-exact muxing, no
  metadata copied, a fixed x264 thread count (x264 is deterministic for a given thread count),
  bit-exact swscale paths for every scaling or pixel-format conversion.
- Time ``t`` (seconds from the first frame) falls in frame ``floor(t * fps)``; the half-open range
  ``[a, b)`` holds frames ``ceil(a * fps) .. ceil(b * fps) - 1`` (with a 1e-6-frame tolerance), so
  a cut of ``[a, b)`` has ``round((b - a) * fps)`` frames within one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from pipelines.core.errors import ConfigError, InputError
from pipelines.core.video.probe import VideoInfo

EPS = 1e-6
SWS_FLAGS = "accurate_rnd+bitexact+full_chroma_int"  # C paths: same pixels on any CPU
AUDIO_POLICIES = ("auto", "drop", "always")
CONTAINERS = {".mp4": "mp4", ".mov": "mov", ".mkv": "matroska"}


@dataclass(frozen=True)
class EncodeProfile:
    """Encoding parameters shared by all variants of a source. ``None`` means "the source's"."""

    crf: int = 20
    preset: str = "superfast"  # CPU-cheap; at CRF 20 same PSNR as veryfast, ~1.5x the bytes
    fps: Fraction | None = None
    width: int | None = None  # height follows the aspect ratio, rounded to even
    audio: str = "auto"  # auto: keep iff the source has audio; drop; always: silence if none
    audio_rate: int = 48000
    audio_bitrate: str = "128k"  # stereo AAC
    gop_seconds: float = 2.0
    threads: int = 1  # x264 threads: fixed (bytes never depend on the machine); one: workers give parallelism
    matched: bool = False  # variants of one source: constant QP, fixed GOP, CBR audio (see variants)

    def __post_init__(self) -> None:
        if self.audio not in AUDIO_POLICIES:
            raise ConfigError(f"audio must be one of {AUDIO_POLICIES}, not {self.audio!r}")
        if self.width is not None and self.width < 2:
            raise ConfigError(f"width must be >= 2, not {self.width}")


@dataclass(frozen=True)
class Target:
    """An EncodeProfile resolved against one source."""

    fps: Fraction
    width: int
    height: int
    audio: bool
    profile: EncodeProfile

    def output_kwargs(self, out: Path) -> dict[str, object]:
        """ffmpeg output options (for ffmpeg-python's ``output``) that realise this target."""
        fmt = CONTAINERS.get(out.suffix.lower())
        if fmt is None:
            raise InputError(out, f"unsupported output extension; use one of {sorted(CONTAINERS)}")
        p = self.profile
        kw: dict[str, object] = {
            "c:v": "libx264", "preset": p.preset, "crf": p.crf, "pix_fmt": "yuv420p",
            "g": max(1, round(float(self.fps) * p.gop_seconds)), "threads:v": p.threads,
            "fps_mode": "passthrough", "fflags": "+bitexact", "flags:v": "+bitexact",
            "map_metadata": -1, "map_chapters": -1, "f": fmt,
        }
        if p.matched:  # key frames and B-frames at fixed frame indices, whatever the content
            gop = kw["g"]
            kw["x264-params"] = f"scenecut=0:keyint={gop}:min-keyint={gop}:b-adapt=0"
        if fmt in ("mp4", "mov"):
            kw["movflags"] = "+faststart"
        if self.audio:
            codec = "libmp3lame" if p.matched else "aac"  # MP3 CBR: every packet the same size
            kw.update({"c:a": codec, "b:a": p.audio_bitrate, "ar": p.audio_rate, "ac": 2,
                       "flags:a": "+bitexact"})
        else:
            kw["an"] = None
        return kw


DEFAULT_PROFILE = EncodeProfile()


def resolve(profile: EncodeProfile, info: VideoInfo) -> Target:
    """Fix the profile's open choices (fps, size, audio) for the source ``info``."""
    width = profile.width or info.width
    height = info.height if profile.width is None else info.height * width / info.width
    audio = profile.audio == "always" or (profile.audio == "auto" and info.has_audio)
    return Target(fps=Fraction(profile.fps) if profile.fps else info.fps, width=_even(width),
                  height=_even(height), audio=audio, profile=profile)


def _even(x: float) -> int:
    return max(2, round(x / 2) * 2)


def frame_range(info: VideoInfo, start: float, end: float) -> tuple[int, int]:
    """Frames ``(first, count)`` of ``info`` inside ``[start, end)``; InputError if outside the video."""
    if not (math.isfinite(start) and math.isfinite(end)) or start < 0 or end <= start:
        raise InputError(info.path, f"bad segment [{start}, {end}): need 0 <= start < end")
    fps = float(info.fps)
    first = math.ceil(start * fps - EPS)
    stop = math.ceil(end * fps - EPS)
    if stop > info.frame_count:
        if end * fps > info.frame_count + 0.5:
            raise InputError(info.path, f"segment [{start:g}, {end:g}) ends after the video's end "
                                        f"({info.video_duration:.3f} s)")
        stop = info.frame_count
    if stop <= first:
        raise InputError(info.path, f"segment [{start:g}, {end:g}) holds no frame")
    return first, stop - first


def frame_at(info: VideoInfo, t: float) -> int:
    """Index of the frame shown at time ``t``; a time up to half a frame past the end maps to the last."""
    fps = float(info.fps)
    if not math.isfinite(t) or t < 0 or t * fps > info.frame_count + 0.5:
        raise InputError(info.path, f"time {t} s is outside the video (0 .. {info.video_duration:.3f} s)")
    return min(info.frame_count - 1, math.floor(t * fps + EPS))


def fraction_text(x: Fraction) -> str:
    """``Fraction(30000, 1001)`` -> ``"30000/1001"`` (ffmpeg's rational syntax)."""
    return f"{x.numerator}/{x.denominator}"
