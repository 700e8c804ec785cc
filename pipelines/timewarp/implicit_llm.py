"""Implicit preferences through a vision endpoint (``--llm openai`` with rendered videos).

Per video: up to ``IMPLICIT_FRAMES`` frames spread evenly over the normal clip's frame folder.
*preferred* = the model's detailed description of those clean frames, asked with the record's
"describe the events" prompt. *dispreferred* = either the description elicited by the record's
hallucination-inducing prompt on the same frames, or the description of corrupted copies of the
frames: the shorter side downscaled to 20 px, or colour jitter (brightness factor in 1 +- 0.5, hue
shift in +-0.3 of the hue circle, drawn from the video's generator). Corrupted copies are written
to ``media/<video_id>/corrupted_<kind>/``; source frames are never modified. A failed request
removes the video's implicit record and rejects it (``llm_<cause>``) in the ``implicit`` stage;
so do two descriptions that come back identical (``identical_descriptions``).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from pipelines.core.llm import ChatRequest, LLMClient
from pipelines.core.llm.vision import user_message
from pipelines.core.rng import UnitRng
from pipelines.core.video.frames import write_atomic
from pipelines.timewarp.config import TimewarpParams
from pipelines.timewarp.implicit import resources
from pipelines.timewarp.units import VideoOutput

IMPLICIT_FRAMES = 8


def spread(paths: list[Path], count: int) -> list[Path]:
    if len(paths) <= count:
        return paths
    return [paths[round(i * (len(paths) - 1) / (count - 1))] for i in range(count)]


def corrupt(image: np.ndarray, kind: str, rng: UnitRng) -> np.ndarray:
    if kind == "downscale_20px":
        height, width = image.shape[:2]
        scale = 20.0 / min(height, width)
        return cv2.resize(image, (max(1, round(width * scale)), max(1, round(height * scale))),
                          interpolation=cv2.INTER_AREA)
    brightness = 1.0 + (rng.random() - 0.5)  # 0.5 .. 1.5
    hue_shift = round((rng.random() - 0.5) * 0.6 * 180)  # OpenCV hue runs over 0..180
    hsv = cv2.cvtColor(image, cv2.COLOR_BGR2HSV).astype(np.int32)
    hsv[..., 0] = (hsv[..., 0] + hue_shift) % 180
    hsv[..., 2] = np.clip(hsv[..., 2] * brightness, 0, 255)
    return cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2BGR)


def corrupted_copies(frames: list[Path], kind: str, out_dir: Path, rng: UnitRng) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for frame in frames:
        image = cv2.imread(str(frame), cv2.IMREAD_COLOR)
        ok, data = cv2.imencode(".jpg", corrupt(image, kind, rng), [cv2.IMWRITE_JPEG_QUALITY, 95])
        assert ok
        target = out_dir / frame.name
        write_atomic(target, data.tobytes())
        written.append(target)
    return written


def _drop(output: VideoOutput, reason: str, detail: str) -> None:
    """Turn the video's (already counted) implicit record into a rejection."""
    output.records["implicit"].clear()
    output.stage_accepted["implicit"] -= 1
    output.rejects.append(("implicit", output.video_id, reason, detail))


def run_llm_implicit(outputs: list[VideoOutput], build_dir: Path, params: TimewarpParams,
                     client: LLMClient, skip: set[str]) -> None:
    """Replace the offline stand-in of every rendered video with model descriptions (in place)."""
    jobs: list[tuple[VideoOutput, dict]] = []
    requests: list[ChatRequest] = []
    for output in outputs:
        if output.trimmed is None or output.video_id in skip or not output.records["implicit"]:
            continue
        record = output.records["implicit"][0]
        media = build_dir / "media" / output.video_id
        clean = spread(sorted((media / "normal_frames").glob("*.jpeg")), IMPLICIT_FRAMES)
        if record["dispreferred_kind"] == "corrupted_frames":
            rng = UnitRng(params.seed, f"{output.video_id}/corrupt")
            noisy = corrupted_copies(clean, record["theme"], media / f"corrupted_{record['theme']}", rng)
            elicit_text, elicit_frames = record["prompt"], noisy
        else:
            elicit_text, elicit_frames = resources()[1][record["theme"]]["prompt"], clean
        jobs.append((output, record))
        requests.append(ChatRequest(key=f"{output.video_id}/implicit-clean",
                                    messages=[user_message(record["prompt"], clean)]))
        requests.append(ChatRequest(key=f"{output.video_id}/implicit-{record['dispreferred_kind']}",
                                    messages=[user_message(elicit_text, elicit_frames)]))
    results = client.run_batch(requests, desc="timewarp: LLM descriptions")
    for index, (output, record) in enumerate(jobs):
        preferred, dispreferred = results[2 * index], results[2 * index + 1]
        failure = next((r for r in (preferred, dispreferred) if not r.ok), None)
        if failure is not None:
            _drop(output, f"llm_{failure.cause}", (failure.error or "")[:200])
            continue
        chosen, rejected = (preferred.text or "").strip(), (dispreferred.text or "").strip()
        if not chosen or chosen == rejected:
            _drop(output, "identical_descriptions", "both descriptions are equal, or the preferred is empty")
            continue
        record.update(chosen=chosen, rejected=rejected, backend=f"llm:{client.config.model}",
                      for_training=True)  # real model descriptions: trainable
