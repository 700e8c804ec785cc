"""Frames for exported evaluator hooks: find a question's video, check its times, cache its frames.

Like :mod:`pipelines.core.answers`, this file is rendered verbatim into the exported VLMEvalKit
classes and lmms-eval ``utils.py`` files (standard library at import time; OpenCV imported when a
frame is decoded), so the consumer reads exactly the frames tested here.

Contracts:
- :func:`locate_video` finds ``<root>/<video><suffix>`` with the toolkit's suffixes
  (:data:`VIDEO_SUFFIXES`, the same tuple as ``pipelines.core.video.VIDEO_SUFFIXES``); a missing
  video is a ``FileNotFoundError`` naming the question, the folder and the suffixes tried.
- Time ``t`` is frame ``floor(t * fps)`` (the toolkit's rule, so the frames equal the build's own
  ``frame_keys``). A time before 0 or at/after the video's end is a ``ValueError`` naming the
  question and the video -- never clamped to the last frame.
- :func:`cached_frames` writes JPEGs under ``<cache_root>/<content key>/``; the key is a BLAKE2b
  digest of the video's bytes (remembered per path, size and mtime), so a rebuilt or replaced
  video gets new frames and an unchanged one is never decoded twice.
"""

import hashlib
import math
import os

VIDEO_SUFFIXES = (".mp4", ".mkv", ".webm", ".mov", ".avi")
_KEYS: dict = {}


def locate_video(root: str, video: str, question: str) -> str:
    """The path of ``video`` (an id or a relative path without suffix) under ``root``."""
    for suffix in ("", *VIDEO_SUFFIXES) if os.path.splitext(video)[1] else VIDEO_SUFFIXES:
        path = os.path.join(root, video + suffix)
        if os.path.isfile(path):
            return path
    tried = "/".join(VIDEO_SUFFIXES)
    raise FileNotFoundError(f"question {question}: no video {video}{{{tried}}} in {os.path.abspath(root)}")


def content_key(path: str) -> str:
    """A digest of the file's bytes (computed once per path, size and modification time)."""
    stat = os.stat(path)
    memo = (os.path.abspath(path), stat.st_size, stat.st_mtime_ns)
    if memo not in _KEYS:
        digest = hashlib.blake2b(digest_size=16)
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _KEYS[memo] = digest.hexdigest()
    return _KEYS[memo]


def _open(path: str):
    import cv2

    capture = cv2.VideoCapture(path)
    if not capture.isOpened():
        raise ValueError(f"cannot read video {path}")
    return capture


def video_span(path: str) -> tuple:
    """(fps, frame count) of a video, counting frames by decoding when the container has no count."""
    import cv2

    capture = _open(path)
    fps = capture.get(cv2.CAP_PROP_FPS)
    count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    if count <= 0:
        count = 0
        while capture.grab():
            count += 1
    capture.release()
    return fps, count


def frame_indices(times, fps: float, count: int, path: str, question: str) -> list:
    """Frame index of each time; a time outside the video is an error naming the question."""
    indices = []
    for time in times:
        index = math.floor(float(time) * fps + 1e-6)
        if not 0 <= index < count:
            raise ValueError(f"question {question}: frame time {float(time):g}s is outside video {path} "
                             f"(0 to {count / fps:.3f}s)")
        indices.append(index)
    return indices


def uniform_times(path: str, count: int) -> list:
    """``count`` times at the centres of equal parts of the video (frame-exact, in seconds)."""
    fps, frames = video_span(path)
    return [math.floor((i + 0.5) * frames / count) / fps for i in range(count)]


def cached_frames(path: str, times, cache_root: str, question: str) -> list:
    """JPEG paths of the frames of ``path`` at ``times`` (in the given order), decoded once."""
    import cv2

    folder = os.path.join(cache_root, content_key(path))
    targets = [os.path.join(folder, f"t{float(t):010.3f}.jpg") for t in times]
    missing = [i for i, target in enumerate(targets) if not os.path.isfile(target)]
    if not missing:
        return targets
    fps, count = video_span(path)
    indices = frame_indices(times, fps, count, path, question)
    os.makedirs(folder, exist_ok=True)
    capture = _open(path)
    for i in missing:
        capture.set(cv2.CAP_PROP_POS_FRAMES, indices[i])
        ok, image = capture.read()
        if not ok:
            raise ValueError(f"question {question}: cannot decode frame {indices[i]} of {path}")
        partial = f"{targets[i]}.{os.getpid()}.tmp.jpg"
        cv2.imwrite(partial, image)
        os.replace(partial, targets[i])
    capture.release()
    return targets
