"""Per-stream container figures of a video file: what a metadata classifier could read.

Contract of :func:`stream_stats`: one ``ffmpeg -c copy -f framecrc`` pass over every stream of
the file (demux only, no decode) gives, per stream, the packet count, the payload bytes and the
bitrate (bytes * 8 / seconds of that stream), plus the file size and the key-frame times of the
first video stream. These are the fields ``ffprobe -show_streams -show_packets`` would print that
can differ between two renders holding the same frames in another order. Raises
:class:`~pipelines.core.errors.InputError` naming the file when it cannot be read.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from pipelines.core.errors import InputError
from pipelines.core.video.ffmpeg_bin import check_readable, media_arg, run

TIMEOUT = 120.0


@dataclass(frozen=True)
class StreamStats:
    """Container figures of one file (``audio_*`` are 0 without an audio stream)."""

    path: Path
    file_bytes: int
    video_packets: int
    video_bytes: int
    video_bitrate: float  # bits per second of video
    audio_packets: int
    audio_bytes: int
    audio_bitrate: float
    keyframe_times: tuple[float, ...]  # seconds (presentation time) of the video key frames

    def fields(self) -> dict[str, float | tuple[float, ...]]:
        """The comparable figures by name (everything but the path)."""
        return {name: getattr(self, name) for name in FIELDS}


FIELDS = ("file_bytes", "video_packets", "video_bytes", "video_bitrate", "audio_packets",
          "audio_bytes", "audio_bitrate", "keyframe_times")


@dataclass
class _Stream:
    kind: str = ""
    tb: Fraction = Fraction(1)
    packets: int = 0
    size: int = 0
    first: int | None = None
    last_end: int = 0


def stream_stats(path: str | Path, *, timeout: float = TIMEOUT) -> StreamStats:
    """Figures of ``path`` (see module contract)."""
    src = check_readable(path)
    # the toolkit's runner: timeout, one-line error, and ffmpeg dies with its parent
    proc = run(["-i", media_arg(src), "-map", "0", "-c", "copy", "-f", "framecrc", "pipe:1"],
               subject=src, what="stream stats", timeout=timeout, stdout=subprocess.PIPE)
    return parse_framecrc(src, proc.stdout.decode("ascii", "replace"))


def parse_framecrc(src: Path, text: str) -> StreamStats:
    """:class:`StreamStats` from ffmpeg ``framecrc`` output of all streams of ``src``."""
    streams: dict[int, _Stream] = {}
    keys: list[int] = []
    for line in text.splitlines():
        if line.startswith("#tb "):
            index, value = line[4:].split(":", 1)
            streams.setdefault(int(index), _Stream()).tb = Fraction(value.strip())
        elif line.startswith("#media_type "):
            index, value = line[12:].split(":", 1)
            streams.setdefault(int(index), _Stream()).kind = value.strip()
        elif line and not line.startswith("#"):
            f = [x.strip() for x in line.split(",")]
            s = streams.setdefault(int(f[0]), _Stream())
            pts, duration, size = int(f[2]), int(f[3]), int(f[4])
            s.packets += 1
            s.size += size
            s.first = pts if s.first is None else min(s.first, pts)
            s.last_end = max(s.last_end, pts + duration)
            flags = int(f[6][2:], 16) if len(f) > 6 and f[6].startswith("F=") else 1
            if s.kind == "video" and flags & 0x1:  # framecrc omits the flags of key packets
                keys.append(pts)
    video = next((s for _, s in sorted(streams.items()) if s.kind == "video"), None)
    if video is None or not video.packets:
        raise InputError(src, "stream stats: no video packets")
    audio = next((s for _, s in sorted(streams.items()) if s.kind == "audio"), _Stream())
    return StreamStats(
        path=src, file_bytes=src.stat().st_size, video_packets=video.packets, video_bytes=video.size,
        video_bitrate=_bitrate(video), audio_packets=audio.packets, audio_bytes=audio.size,
        audio_bitrate=_bitrate(audio),
        keyframe_times=tuple(round(float((k - (video.first or 0)) * video.tb), 6) for k in sorted(keys)))


def _bitrate(s: _Stream) -> float:
    seconds = float((s.last_end - (s.first or 0)) * s.tb)
    return round(s.size * 8 / seconds, 3) if seconds > 0 else 0.0
