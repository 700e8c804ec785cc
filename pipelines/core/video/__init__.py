"""Video layer shared by every recipe: probe, cut, assemble, reverse, re-time, frames, boxes.

Built on ``ffmpeg-python`` and the ffmpeg binary of the ``imageio-ffmpeg`` wheel (``$FINEFORGE_FFMPEG``
overrides it); no system ffmpeg or ffprobe is used. Public API (paths are ``str | Path``)::

    probe(video) -> VideoInfo                       # duration, fps (exact Fraction), frame_count,
                                                    # width, height, codec, pix_fmt, has_audio, keyframes
    cut(src, start, end, out, *, profile=EncodeProfile()) -> VideoInfo        # frames of [start, end)
    assemble(src, [(start, end), ...], out, *, profile=...) -> VideoInfo      # segments in that order,
                                                    # one ffmpeg process, one encode (scene shuffles)
    change_speed(src, factor, out, *, segment=None, profile=...) -> VideoInfo # 2.0 = twice as fast
    reverse(src, out, *, start=0.0, end=None, profile=..., chunk_mb=64) -> VideoInfo
    extract_frames(video, times, out_dir, *, prefix="frame_", name_fn=None, fmt="jpg",
                   width=None, quality=95) -> list[Path]                      # one image per time
    frames_at(video, times, *, width=None) -> list[np.ndarray]                # BGR arrays
    iter_frames(video, frame_indices, *, width=None) -> Iterator[(index, np.ndarray)]
    frame_difference(a, b) -> float                 # 0..1; encoding noise < NOISE_LEVEL
    drop_near_duplicates(frames, *, threshold=DUPLICATE_THRESHOLD) -> list[int]
    check_indistinguishable(videos) -> list[str]    # container differences; [] when none
    require_indistinguishable(videos) -> None       # InputError naming the differing file
    draw_box(frame_path, (x1, y1, x2, y2), out_path, *, label=None) -> Path   # normalised box, on a copy
    draw_boxes(frame_path, [(box, label), ...], out_path) -> Path
    find_video(folder, video_id) -> Path | None          # <folder>/<video_id>.mp4/.mkv/.webm/...

Shared contracts:
- Times are seconds from the first frame; ``t`` is in frame ``floor(t * fps)`` and ``[a, b)`` holds
  frames ``ceil(a * fps) .. ceil(b * fps) - 1``: cuts are frame-accurate, never snapped to key frames.
- Every rendered video uses one :class:`EncodeProfile` (H.264 yuv420p, constant fps, CRF, AAC
  stereo at a fixed rate or no audio, bit-exact muxing, fixed x264 thread count): outputs made from
  one source match in codec, pixel format, fps, size, audio and (to one frame) duration, and the
  same inputs and parameters give byte-identical files.
- A bad input (missing, empty, not a video, truncated, corrupt, hanging) raises
  ``pipelines.core.errors.InputError`` whose one-line message names the file; every ffmpeg process
  has a timeout. Outputs are written to a dot-prefixed temp name next to the target and renamed;
  on any error nothing is left behind.
- File names starting with ``-`` or holding spaces, quotes or non-ASCII are safe: ffmpeg always
  receives ``file:/absolute/path``.
"""

from pipelines.core.video.compare import (
    DUPLICATE_THRESHOLD,
    NOISE_LEVEL,
    check_indistinguishable,
    drop_near_duplicates,
    frame_difference,
    require_indistinguishable,
)
from pipelines.core.video.draw import draw_box, draw_boxes
from pipelines.core.video.edit import assemble, change_speed, cut
from pipelines.core.video.ffmpeg_bin import ffmpeg_exe
from pipelines.core.video.frames import extract_frames, frames_at, iter_frames, plan_runs
from pipelines.core.video.probe import VideoInfo, probe
from pipelines.core.video.profile import EncodeProfile
from pipelines.core.video.reverse import reverse
from pipelines.core.video.sources import VIDEO_SUFFIXES, find_video, missing_video_detail

__all__ = [
    "DUPLICATE_THRESHOLD",
    "NOISE_LEVEL",
    "VIDEO_SUFFIXES",
    "EncodeProfile",
    "VideoInfo",
    "assemble",
    "change_speed",
    "check_indistinguishable",
    "cut",
    "draw_box",
    "draw_boxes",
    "drop_near_duplicates",
    "extract_frames",
    "ffmpeg_exe",
    "find_video",
    "frame_difference",
    "frames_at",
    "iter_frames",
    "missing_video_detail",
    "plan_runs",
    "probe",
    "require_indistinguishable",
    "reverse",
]
