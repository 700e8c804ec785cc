"""Frames at times: decode once when times are dense, seek when they are sparse.

Contract:
- Time ``t`` selects frame ``floor(t * fps)`` (see :mod:`.profile`); a time outside the video
  raises InputError naming the file. Frames are BGR ``uint8`` arrays (OpenCV's layout), at the
  stored pixel size or resized to ``width`` (aspect kept, area filter).
- The plan: sorted distinct frames are grouped into *runs*; each run is one ffmpeg process that
  seeks once (to the key frame at or before its first frame, where decoding starts) and then
  decodes forward, letting only the wanted frames out of a ``select`` filter. A gap between two
  wanted frames stays inside the run when decoding through it costs no more than a fresh process
  plus decoding from the key frame before the next frame (:func:`plan_runs`). Dense times thus become one
  sequential decode and sparse ones one seek each; a frame is identical either way.
- :func:`extract_frames` writes one image per requested time, named deterministically
  (``prefix`` + 1-based position, zero-padded, or ``name_fn(i, t)``), each file written to a
  temporary name and renamed; it returns the paths in the order of ``times``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import cv2
import ffmpeg
import numpy as np

from pipelines.core.errors import ConfigError, InputError
from pipelines.core.video.ffmpeg_bin import default_timeout, media_arg, stream, temp_sibling
from pipelines.core.video.probe import VideoInfo, probe
from pipelines.core.video.profile import SWS_FLAGS, frame_at

SPAWN_COST_S = 0.08  # a one-frame run: ffmpeg start, open, seek, write (measured ~0.1 s wall on 2 cores)
PIXEL_COST_S = 2e-9  # decoding cost per pixel (measured: 1280x720 H.264 ~1.7 ms/frame on 2 cores)
MAX_SELECT = 400  # wanted frames per process (bounds the select expression)
FORMATS = {"jpg": ".jpg", "jpeg": ".jpeg", "png": ".png"}


def plan_runs(info: VideoInfo, frames: Sequence[int]) -> list[list[int]]:
    """Group sorted distinct frame indices into runs of one seek + one forward decode each."""
    per_frame = info.width * info.height * PIXEL_COST_S
    runs: list[list[int]] = []
    for cur in frames:
        if runs and len(runs[-1]) < MAX_SELECT:
            prev = runs[-1][-1]
            through = (cur - prev) * per_frame
            fresh = SPAWN_COST_S + (cur - info.keyframe_before(cur) + 1) * per_frame
            if through <= fresh:
                runs[-1].append(cur)
                continue
        runs.append([cur])
    return runs


def out_size(info: VideoInfo, width: int | None) -> tuple[int, int]:
    """(width, height) of frames resized to ``width`` (aspect kept), or the stored size."""
    if width is None:
        return info.width, info.height
    if width < 1:
        raise ConfigError(f"width must be >= 1, not {width}")
    return width, max(1, round(info.height * width / info.width))


def iter_frames(video: str | Path | VideoInfo, frames: Sequence[int], *, width: int | None = None,
                timeout: float | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(index, frame)`` for the sorted distinct ``frames`` of ``video``, in order."""
    info = video if isinstance(video, VideoInfo) else probe(video)
    wanted = sorted(set(frames))
    if wanted and (wanted[0] < 0 or wanted[-1] >= info.frame_count):
        raise ConfigError(f"frame indices must lie in 0 .. {info.frame_count - 1}")
    w, h = out_size(info, width)
    size = w * h * 3
    for run in plan_runs(info, wanted):
        base = info.keyframe_before(run[0])
        v = _from_key_frame(info, base, (run[-1] - base + 2) / float(info.fps) + 1.0)
        if len(run) < run[-1] - base + 1:
            v = v.filter("select", _select_expr([i - base for i in run]))
        v = v.filter("scale", w, h, flags="area+" + SWS_FLAGS).filter("format", "bgr24")
        args = ffmpeg.output(v, "pipe:1", format="rawvideo", pix_fmt="bgr24", fps_mode="passthrough",
                             frames=len(run)).get_args()
        secs = (run[-1] - base) / float(info.fps)
        missing = None
        with stream(args, subject=info.path, what="read frames",
                    timeout=timeout or default_timeout(secs)) as proc:
            assert proc.stdout is not None
            for idx in run:
                buf = bytearray(size)  # writable arrays: callers may draw on them
                if proc.stdout.readinto(buf) != size:
                    missing = idx  # ffmpeg's own error, if any, is raised on leaving the block
                    break
                yield idx, np.frombuffer(buf, np.uint8).reshape(h, w, 3)
        if missing is not None:
            raise InputError(info.path, f"read frames: frame {missing} could not be decoded (damaged video?)")


def _from_key_frame(info: VideoInfo, key: int, span: float) -> ffmpeg.nodes.FilterableStream:
    """The video stream of ``info`` decoded from key frame ``key`` on: its first frame is ``key``.

    The seek goes half a frame past the key frame, without accurate seeking, so the demuxer starts
    exactly at that key frame. An accurate seek to a wanted frame instead would land one GOP early
    when that frame is a key frame (the time half a frame before it lies in the previous GOP), and
    one GOP late for the leading frames of an open GOP (the demuxer compares decode times, and the
    next key frame is decoded before them). Frames shown before the key frame (leading frames of
    its open GOP, which cannot be decoded without the previous GOP) are dropped by time."""
    fps = float(info.fps)
    inp = ffmpeg.input(media_arg(info.path), ss=f"{(key + 0.5) / fps:.6f}", t=f"{span:.6f}",
                       noaccurate_seek=None, threads=1)
    return inp["V:0"].filter("select", f"gte(t,{-1.0 / fps:.6f})")


def _select_expr(rel: list[int]) -> str:
    """A select expression true exactly for frame numbers ``rel`` (sorted): a binary search tree."""
    if len(rel) <= 4:
        return "+".join(f"eq(n,{i})" for i in rel)
    mid = len(rel) // 2
    return f"if(lt(n,{rel[mid]}),{_select_expr(rel[:mid])},{_select_expr(rel[mid:])})"


def frames_at(video: str | Path, times: Sequence[float], *, width: int | None = None,
              timeout: float | None = None) -> list[np.ndarray]:
    """The frames shown at ``times`` (in the order of ``times``), as BGR arrays."""
    info = probe(video)
    idx = [frame_at(info, t) for t in times]
    got = dict(iter_frames(info, idx, width=width, timeout=timeout))
    return [got[i] for i in idx]


def default_names(n: int, prefix: str, fmt: str) -> Callable[[int, float], str]:
    """``prefix`` + 1-based position zero-padded to at least 4 digits + ``.fmt``."""
    pad = max(4, len(str(n)))
    return lambda i, _t: f"{prefix}{i + 1:0{pad}d}.{fmt}"


def extract_frames(video: str | Path, times: Sequence[float], out_dir: str | Path, *,
                   prefix: str = "frame_", name_fn: Callable[[int, float], str] | None = None,
                   fmt: str = "jpg", width: int | None = None, quality: int = 95,
                   timeout: float | None = None) -> list[Path]:
    """Write the frames at ``times`` as images in ``out_dir``; return their paths (order of ``times``)."""
    if fmt not in FORMATS:
        raise ConfigError(f"fmt must be one of {sorted(FORMATS)}, not {fmt!r}")
    info = probe(video)
    name = name_fn or default_names(len(times), prefix, fmt)
    names = [name(i, t) for i, t in enumerate(times)]
    if len(set(names)) != len(names) or any(os.sep in n or n in ("", ".", "..") for n in names):
        raise ConfigError("frame file names must be distinct plain file names")
    out = Path(out_dir).absolute()
    out.mkdir(parents=True, exist_ok=True)
    idx = [frame_at(info, t) for t in times]
    targets: dict[int, list[Path]] = {}
    for i, n in zip(idx, names, strict=True):
        targets.setdefault(i, []).append(out / n)
    params = [cv2.IMWRITE_JPEG_QUALITY, quality] if fmt != "png" else [cv2.IMWRITE_PNG_COMPRESSION, 3]
    for i, frame in iter_frames(info, idx, width=width, timeout=timeout):
        ok, data = cv2.imencode(FORMATS[fmt], frame, params)
        if not ok:
            raise ConfigError(f"OpenCV cannot encode {fmt}")
        for path in targets[i]:
            write_atomic(path, data.tobytes())
    return [out / n for n in names]


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a dot-prefixed sibling and rename it to ``path``."""
    tmp = temp_sibling(path)
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
