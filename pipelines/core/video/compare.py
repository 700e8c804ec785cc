"""Compare frames and videos: a frame-difference measure and the "indistinguishable variants" check.

Contract:
- :func:`frame_difference` is the mean absolute difference of two frames after both are
  area-resized to ``size`` x ``size`` (colour kept), scaled to 0..1. It is symmetric, 0 for equal
  frames, insensitive to encoding noise (two encodes of one frame: < ``NOISE_LEVEL``) and to
  resolution (frames of different sizes compare).
- :func:`drop_near_duplicates` keeps a frame only if it differs from the last kept one by more
  than ``threshold``.
- :func:`check_indistinguishable` lists every way the given videos could be told apart by their
  container: codec, pixel format, fps, size, audio presence and format, and duration (video and
  container) beyond one frame; with ``streams=True`` (the default) also the per-stream figures a
  metadata classifier reads (:mod:`~pipelines.core.video.streams`): video and audio packet counts,
  audio bytes and key-frame times exactly, video bytes, file bytes and bitrates to within one byte
  per key frame (the step of :func:`~pipelines.core.video.pad.pad_to_match`).
  :func:`require_indistinguishable` raises InputError on the first.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from pipelines.core.errors import InputError
from pipelines.core.video.probe import VideoInfo, probe
from pipelines.core.video.streams import StreamStats, stream_stats

NOISE_LEVEL = 0.01  # frame_difference between re-encodes of one frame stays below this
DUPLICATE_THRESHOLD = NOISE_LEVEL  # default: frames closer than this are near-duplicates
EXACT_STREAM_FIELDS = ("video_packets", "audio_packets", "audio_bytes", "keyframe_times")
PADDED_STREAM_FIELDS = ("video_bytes", "file_bytes")
SIGNATURE = ("codec", "pix_fmt", "fps", "width", "height", "has_audio", "audio_codec", "audio_rate",
             "audio_layout")


def _small(frame: np.ndarray | str | Path, size: int) -> np.ndarray:
    if not isinstance(frame, np.ndarray):
        img = cv2.imread(str(frame), cv2.IMREAD_COLOR)
        if img is None:
            raise InputError(frame, "not a readable image")
        frame = img
    if frame.ndim == 2:
        frame = frame[:, :, None].repeat(3, axis=2)
    return cv2.resize(frame, (size, size), interpolation=cv2.INTER_AREA).astype(np.float32)


def frame_difference(a: np.ndarray | str | Path, b: np.ndarray | str | Path, *, size: int = 64) -> float:
    """Mean absolute difference (0..1) of two frames (arrays or image paths) at ``size`` x ``size``."""
    return float(np.abs(_small(a, size) - _small(b, size)).mean() / 255.0)


def drop_near_duplicates(frames: Sequence[np.ndarray | str | Path], *,
                         threshold: float = DUPLICATE_THRESHOLD) -> list[int]:
    """Indices of the frames kept: the first, then each differing from the last kept by > threshold."""
    kept: list[int] = []
    last: np.ndarray | None = None
    for i, f in enumerate(frames):
        small = _small(f, 64)
        if last is None or float(np.abs(small - last).mean() / 255.0) > threshold:
            kept.append(i)
            last = small
    return kept


def stream_differences(stats: Sequence[StreamStats]) -> list[str]:
    """Per-stream figures of ``stats[1:]`` that differ from ``stats[0]`` (see module contract)."""
    ref = stats[0]
    slack = max(1, len(ref.keyframe_times)) - 1
    problems = []
    for other in stats[1:]:
        for key in EXACT_STREAM_FIELDS:
            if getattr(other, key) != getattr(ref, key):
                problems.append(f"{other.path}: {key} {_short(getattr(other, key))} != "
                                f"{_short(getattr(ref, key))} of {ref.path}")
        for key in PADDED_STREAM_FIELDS:
            if abs(getattr(other, key) - getattr(ref, key)) > slack:
                problems.append(f"{other.path}: {key} {getattr(other, key)} != {getattr(ref, key)} "
                                f"of {ref.path} (more than {slack} bytes apart)")
        seconds = ref.video_bytes * 8 / ref.video_bitrate if ref.video_bitrate else 1.0
        if abs(other.video_bitrate - ref.video_bitrate) > (slack + 1) * 8 / seconds:
            problems.append(f"{other.path}: video_bitrate {other.video_bitrate} != "
                            f"{ref.video_bitrate} of {ref.path}")
        if other.audio_bitrate != ref.audio_bitrate:
            problems.append(f"{other.path}: audio_bitrate {other.audio_bitrate} != "
                            f"{ref.audio_bitrate} of {ref.path}")
    return problems


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_indistinguishable(videos: Sequence[str | Path | VideoInfo], *,
                            streams: bool = True) -> list[str]:
    """Every difference between ``videos[0]`` and each other video (empty: none)."""
    infos = [v if isinstance(v, VideoInfo) else probe(v) for v in videos]
    if not infos:
        return []
    ref = infos[0]
    frame = 1.0 / float(ref.fps)
    problems = stream_differences([stream_stats(i.path) for i in infos]) if streams else []
    for other in infos[1:]:
        for key in SIGNATURE:
            if getattr(other, key) != getattr(ref, key):
                problems.append(f"{other.path}: {key} {getattr(other, key)} != {getattr(ref, key)} "
                                f"of {ref.path}")
        if abs(other.video_duration - ref.video_duration) > frame + 1e-9:
            problems.append(f"{other.path}: video lasts {other.video_duration:.3f} s, "
                            f"{ref.path} {ref.video_duration:.3f} s (more than one frame apart)")
        if abs(other.duration - ref.duration) > frame + 0.011:  # "Duration:" is printed to 10 ms
            problems.append(f"{other.path}: container lasts {other.duration:.3f} s, "
                            f"{ref.path} {ref.duration:.3f} s (more than one frame apart)")
    return problems


def require_indistinguishable(videos: Sequence[str | Path | VideoInfo], *,
                              streams: bool = True) -> None:
    """Raise InputError (naming the differing file) unless the videos match (see module contract)."""
    problems = check_indistinguishable(videos, streams=streams)
    if problems:
        path, _, problem = problems[0].partition(": ")
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InputError(path, f"variant can be told apart by its container: {problem}{more}")
