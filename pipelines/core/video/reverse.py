"""Reverse the frames of a clip with memory bounded independently of its length.

Contract of :func:`reverse`: ``out`` shows source frames ``[start, end)`` last to first, encoded
with the shared profile (one encode), with the audio reversed sample-exactly (or dropped, per the
profile). ffmpeg's ``reverse`` filter buffers the whole clip; here the clip is cut into chunks of at
most ``chunk_mb`` MB of decoded frames, taken last chunk first: each chunk is decoded by its own
short ffmpeg process (seek, decode, ``reverse``) that writes raw frames straight into the stdin of
one long-running encoder. At any time one chunk is buffered, so peak memory is one chunk plus one
decoder and one encoder, whatever the clip length. Audio (small) is decoded once to a raw temp
file, reversed block by block into a second temp file that the encoder reads; both temp files sit
next to ``out``, dot-prefixed, and are removed in every case.
"""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

import ffmpeg
import numpy as np

from pipelines.core.errors import InputError
from pipelines.core.video.edit import verify
from pipelines.core.video.ffmpeg_bin import (
    atomic_output,
    default_timeout,
    media_arg,
    run,
    stream,
    temp_sibling,
)
from pipelines.core.video.probe import VideoInfo, probe
from pipelines.core.video.profile import (
    DEFAULT_PROFILE,
    SWS_FLAGS,
    EncodeProfile,
    Target,
    fraction_text,
    frame_range,
    resolve,
)

CHUNK_MB = 64
BLOCK = 1 << 20  # audio samples (float32 stereo frames) reversed per step


def reverse(src: str | Path, out: str | Path, *, start: float = 0.0, end: float | None = None,
            profile: EncodeProfile = DEFAULT_PROFILE, chunk_mb: int = CHUNK_MB,
            timeout: float | None = None) -> VideoInfo:
    """Render frames ``[start, end)`` (default: the whole clip) of ``src`` in reverse order to ``out``."""
    info = probe(src)
    out = Path(out).absolute()
    if out == info.path:
        raise InputError(out, "output would overwrite the input video")
    if not out.parent.is_dir():
        raise InputError(out, "output folder does not exist")
    tgt = resolve(profile, info)
    first, n = frame_range(info, start, info.video_duration if end is None else end)
    n_out = max(1, round(n * tgt.fps / info.fps))
    per_chunk = max(1, chunk_mb * 2**20 * 2 // (tgt.width * tgt.height * 3))
    secs = n / float(info.fps)
    audio_tmp = temp_sibling(out, "audio").with_suffix(".f32") if tgt.audio and info.has_audio else None
    try:
        if audio_tmp:
            _reversed_audio(info, tgt, first, n, n_out, audio_tmp, timeout or default_timeout(secs))
        with atomic_output(out) as tmp:
            args = _encoder_args(info, tgt, n_out, tmp, out, audio_tmp)
            with stream(args, subject=info.path, what="reverse: encode", stdin=subprocess.PIPE,
                        timeout=timeout or default_timeout(2 * secs)) as enc:
                assert enc.stdin is not None
                with contextlib.suppress(OSError, ImportError):
                    import fcntl  # Linux: a 1 MB pipe means fewer wake-ups

                    fcntl.fcntl(enc.stdin, 1031, 1 << 20)  # F_SETPIPE_SZ
                stop = first + n
                while stop > first:
                    lo = max(first, stop - per_chunk)
                    _decode_reversed(info, tgt, lo, stop - lo, enc.stdin, timeout)
                    stop = lo
            return verify(tmp, out, info.path, tgt, n_out)
    finally:
        if audio_tmp:
            audio_tmp.unlink(missing_ok=True)


def _decode_reversed(info: VideoInfo, tgt: Target, first: int, n: int, sink: object,
                     timeout: float | None) -> None:
    """Write source frames ``first .. first+n-1``, last first, as raw yuv420p to ``sink``."""
    seek = max(0.0, (first - 0.5) / float(info.fps))
    span = (n + 2) / float(info.fps) + 1.0
    v = ffmpeg.input(media_arg(info.path), ss=f"{seek:.6f}", t=f"{span:.6f}", threads=1)["V:0"]
    v = v.trim(end_frame=n)
    v = v.filter("scale", tgt.width, tgt.height, flags="bicubic+" + SWS_FLAGS).filter("format", "yuv420p")
    v = v.filter("reverse")
    args = ffmpeg.output(v, "pipe:1", format="rawvideo", pix_fmt="yuv420p", fps_mode="passthrough",
                         frames=n).get_args()
    lead = (first - info.keyframe_before(first) + n) / float(info.fps)
    run(args, subject=info.path, what="reverse: decode", stdout=sink,  # type: ignore[arg-type]
        timeout=timeout or default_timeout(lead))


def _encoder_args(info: VideoInfo, tgt: Target, n_out: int, tmp: Path, out: Path,
                  audio: Path | None) -> list[str]:
    v = ffmpeg.input("pipe:0", format="rawvideo", pix_fmt="yuv420p", s=f"{tgt.width}x{tgt.height}",
                     framerate=fraction_text(info.fps))["v"]
    if tgt.fps != info.fps:
        v = (v.filter("fps", fps=fraction_text(tgt.fps)).filter("tpad", stop_mode="clone", stop=2)
             .trim(end_frame=n_out).filter("settb", fraction_text(1 / tgt.fps)).setpts("N"))
    streams = [v]
    rate = tgt.profile.audio_rate
    samples = round(n_out * rate / tgt.fps)
    if audio is not None:
        streams.append(ffmpeg.input(media_arg(audio), format="f32le", ar=rate, ch_layout="stereo")["a"])
    elif tgt.audio:
        silence = ffmpeg.input(f"anullsrc=r={rate}:cl=stereo", f="lavfi")
        streams.append(silence.audio.filter("atrim", end_sample=samples))
    return ffmpeg.output(*streams, media_arg(tmp), **tgt.output_kwargs(out)).get_args()


def _reversed_audio(info: VideoInfo, tgt: Target, first: int, n: int, n_out: int, dest: Path,
                    timeout: float) -> None:
    """Write the audio of frames ``first .. first+n-1``, reversed, as raw f32le stereo to ``dest``."""
    rate = tgt.profile.audio_rate
    samples = round(n_out * rate / tgt.fps)
    seek = max(0.0, (first - 0.5) / float(info.fps))
    offset = first / float(info.fps) - seek
    a = (ffmpeg.input(media_arg(info.path), ss=f"{seek:.6f}", t=f"{n / float(info.fps) + 2:.6f}",
                      threads=1)["a:0"]
         .filter("atrim", start=f"{offset:.6f}").filter("asetpts", f"PTS-{offset:.6f}/TB")
         .filter("aresample", rate, first_pts=0)
         .filter("aformat", sample_fmts="flt", channel_layouts="stereo")
         .filter("apad", whole_len=samples).filter("atrim", end_sample=samples))
    fwd = temp_sibling(dest, "fwd")
    try:
        run(ffmpeg.output(a, media_arg(fwd), format="f32le").get_args(), subject=info.path,
            what="reverse: audio", timeout=timeout)
        _reverse_file(fwd, dest, frame_bytes=8)
    finally:
        fwd.unlink(missing_ok=True)


def _reverse_file(src: Path, dest: Path, *, frame_bytes: int) -> None:
    """Copy ``src`` to ``dest`` with its ``frame_bytes``-sized records in reverse order (bounded memory)."""
    size = src.stat().st_size // frame_bytes * frame_bytes
    with src.open("rb") as fin, dest.open("wb") as fout:
        pos = size
        while pos > 0:
            lo = max(0, pos - BLOCK * frame_bytes)
            fin.seek(lo)
            block = np.frombuffer(fin.read(pos - lo), dtype=np.uint8).reshape(-1, frame_bytes)
            fout.write(block[::-1].tobytes())
            pos = lo
