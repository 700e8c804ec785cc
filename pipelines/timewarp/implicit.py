"""Implicit preferences: a faithful description preferred over a hallucinated one.

With a vision endpoint (``--llm openai`` and rendered frames), the preferred text is the model's
detailed description of clean frames and the dispreferred text comes either from a
hallucination-inducing prompt (one of the themes in ``templates/timewarp/hallucination_themes.yaml``)
or from a description of corrupted frames (shorter side downscaled to about 20 px, or colour
jitter). Offline, a deterministic *stand-in* derived from the captions keeps the stage runnable:
preferred = the composite caption; dispreferred = the caption with one theme sentence (content
that is not in the video) inserted, or, for the corrupted-frames kind, a vague caption that keeps
only the first scene. Every record says which back-end produced it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import yaml

from pipelines.core.paths import TEMPLATES_DIR
from pipelines.core.rng import UnitRng
from pipelines.timewarp.trim import TrimmedVideo

KINDS = ("hallucination_prompt", "corrupted_frames")
OFFLINE_BACKEND = "offline_caption_standin"


@lru_cache(maxsize=1)
def resources() -> tuple[tuple[str, ...], dict[str, dict[str, Any]]]:
    folder = TEMPLATES_DIR / "timewarp"
    prompts = tuple(yaml.safe_load((folder / "describe_prompts.yaml").read_text())["prompts"])
    themes = yaml.safe_load((folder / "hallucination_themes.yaml").read_text())["themes"]
    return prompts, themes


@dataclass(frozen=True)
class ImplicitPlan:
    """What to ask for one video; the offline stand-in fills the texts directly."""

    prompt: str
    kind: str
    theme: str  # hallucination theme, or the corruption ("downscale_20px" | "color_jitter")


def plan_implicit(rng: UnitRng) -> ImplicitPlan:
    prompts, themes = resources()
    prompt = rng.choice(prompts)
    kind = KINDS[rng.below(2)]
    if kind == "hallucination_prompt":
        theme = rng.choice(sorted(themes))
        return ImplicitPlan(prompt, kind, theme)
    return ImplicitPlan(prompt, kind, ("downscale_20px", "color_jitter")[rng.below(2)])


def offline_texts(video: TrimmedVideo, plan: ImplicitPlan, rng: UnitRng) -> tuple[str, str]:
    """(preferred, dispreferred) stand-in texts derived from the captions."""
    sentences = [s.text for s in video.scenes]
    preferred = " ".join(sentences)
    if plan.kind == "hallucination_prompt":
        invented = rng.choice(resources()[1][plan.theme]["offline"])
        position = 1 + rng.below(len(sentences))
        return preferred, " ".join([*sentences[:position], invented, *sentences[position:]])
    return preferred, f"{sentences[0]} The rest of the video is too blurry to make out clearly."
