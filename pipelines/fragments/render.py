"""Speed variants of one video, all lasting the same time (toolkit renders, audio dropped).

For an output length L: *normal* is L seconds of the source at 1x, *fast* the 2L seconds around
it at 2x, *slow* the L/2 seconds around it at 0.5x, and *frozen* the middle frame held for L.
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


def speed_length(info: VideoInfo, wanted: float) -> float:
    """Output length L of every variant: ``wanted``, or less so that 2L fits in the video
    (0 when even ``MIN_SECONDS`` does not fit)."""
    room = (info.frame_count - 1) / float(info.fps) / 2.0
    length = min(wanted, room)
    return round(length, 3) if length >= MIN_SECONDS else 0.0


def segment(info: VideoInfo, variant: str, length: float) -> tuple[float, float]:
    """The source range a variant plays, centred on the video's middle."""
    source = {"normal": length, "fast": 2.0 * length, "slow": length / 2.0, "frozen": 1.0 / float(info.fps)}
    middle = info.video_duration / 2.0
    start = max(0.0, round(middle - source[variant] / 2.0, 3))
    return start, round(start + source[variant], 3)


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


def render_variant(info: VideoInfo, variant: str, length: float, out: Path) -> VideoInfo:
    start, end = segment(info, variant, length)
    if variant == "frozen":
        return render_frozen(info, start, length, out)
    factor = {"normal": 1.0, "fast": 2.0, "slow": 0.5}[variant]
    return change_speed(info.path, factor, out, segment=(start, end), profile=PROFILE)
