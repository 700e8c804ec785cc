"""Speed variants of one video, all lasting the same time (toolkit renders, audio dropped).

For an output length of L source frames: *normal* plays L frames of the source at 1x, *fast* the
2L frames around them at 2x, *slow* the L/2 frames around them at 0.5x, and *frozen* holds the
middle frame for L frames' time. Ranges lie on frame boundaries, so lengths are exact.
Audio is dropped from every variant (a re-timed or silent track would give the answer away), and
all share one :class:`EncodeProfile`, so the files differ only in their pictures.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import ffmpeg

from pipelines.core.video import EncodeProfile, VideoInfo, change_speed
from pipelines.core.video.edit import verify
from pipelines.core.video.ffmpeg_bin import atomic_output, default_timeout, media_arg, run
from pipelines.core.video.profile import SWS_FLAGS, fraction_text, frame_at, resolve

PROFILE = EncodeProfile(audio="drop")
MIN_SECONDS = 0.5


def speed_length(info: VideoInfo, wanted: float) -> int:
    """Output length L of every variant, in frames of the source: ``wanted`` seconds (or fewer, so
    that 2L fits in the video), even (so L/2 is whole); 0 when ``MIN_SECONDS`` does not fit."""
    fps = float(info.fps)
    frames = min(round(wanted * fps), info.frame_count // 2)
    frames -= frames % 2
    return frames if frames >= MIN_SECONDS * fps else 0


def segment(info: VideoInfo, variant: str, length: int) -> tuple[float, float]:
    """The source range ``[start, end)`` a variant plays, on frame boundaries, centred on the
    video's middle; ``length`` is L in source frames."""
    count = {"normal": length, "fast": 2 * length, "slow": length // 2, "frozen": 1}[variant]
    first = max(0, min(info.frame_count - count, info.frame_count // 2 - count // 2))
    fps = float(info.fps)
    return first / fps, (first + count) / fps


def render_frozen(info: VideoInfo, at: float, length: float, out: Path) -> VideoInfo:
    """The frame shown at ``at`` held for ``length`` seconds, encoded with :data:`PROFILE`."""
    tgt = resolve(PROFILE, info)
    count = max(1, round(length * tgt.fps))
    first = frame_at(info, at)
    seek = max(0.0, float((first - Fraction(1, 2)) / info.fps))
    v = (ffmpeg.input(media_arg(info.path), ss=f"{seek:.6f}", t=f"{2.0 / float(info.fps) + 1:.6f}", threads=1)
         ["V:0"].trim(end_frame=1).filter("tpad", stop_mode="clone", stop=count - 1)
         .filter("settb", fraction_text(1 / tgt.fps)).setpts("N")
         .filter("scale", tgt.width, tgt.height, flags="bicubic+" + SWS_FLAGS).filter("format", "yuv420p"))
    with atomic_output(out) as tmp:
        args = ffmpeg.output(v, media_arg(tmp), frames=count, **tgt.output_kwargs(out)).get_args()
        run(args, subject=info.path, what="render frozen clip", timeout=default_timeout(length))
        return verify(tmp, out, info.path, tgt, count)


def render_variant(info: VideoInfo, variant: str, length: int, out: Path) -> VideoInfo:
    """Render one variant (``length``: L in source frames, see :func:`speed_length`)."""
    start, end = segment(info, variant, length)
    if variant == "frozen":
        return render_frozen(info, (start + end) / 2, length / float(info.fps), out)
    factor = {"normal": 1.0, "fast": 2.0, "slow": 0.5}[variant]
    return change_speed(info.path, factor, out, segment=(start, end), profile=PROFILE)
