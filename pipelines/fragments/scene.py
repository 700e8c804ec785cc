"""Scene-level questions: speed, action, effect (pure functions).

- Speed: one question per rendered variant of a video (normal, fast = 2x, slow = 0.5x, frozen =
  one frame held); every variant lasts the same time, so a clip's length gives nothing away. Each
  video contributes one question of each key, so the four keys are balanced by construction.
- Action: the video's activity label against three wrong options: first the label's visually
  similar actions from a similarity map (never one it entails), then other labels of this build,
  then any label of the map.
- Effect: scripted answer and wrong options from an annotation file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from pipelines.core.errors import InputError
from pipelines.core.rng import UnitRng
from pipelines.fragments.phrasing import Phrasings
from pipelines.fragments.questions import VideoDraws, mcq

SPEED_VARIANTS = ("normal", "fast", "slow", "frozen")
SPEED_FACTORS = {"normal": 1.0, "fast": 2.0, "slow": 0.5}


@dataclass(frozen=True)
class SceneQuestion:
    task: str
    variant: str
    video: str  # relative path of the clip asked about
    frames: tuple[str, ...]  # the clip's frames for image-only trainers
    question: str
    options: tuple[str, ...]
    answer: int
    template: str


@dataclass(frozen=True)
class SimilarityMap:
    similar: Mapping[str, tuple[str, ...]]
    entails: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class Effect:
    answer: str
    wrong: tuple[str, str, str]
    question: str = ""


def load_similarity_map(path: Path) -> SimilarityMap:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(path, f"unreadable similarity map ({exc.__class__.__name__})") from None
    if not isinstance(data.get("similar", {}), dict):
        raise InputError(path, "'similar' must map an action to a list of actions")
    return SimilarityMap({str(k): tuple(map(str, v)) for k, v in (data.get("similar") or {}).items()},
                         {str(k): tuple(map(str, v)) for k, v in (data.get("entails") or {}).items()})


def speed_question(variant: str, video: str, frames: Sequence[str], rng: UnitRng, draws: VideoDraws,
                   phr: Phrasings) -> SceneQuestion:
    texts = phr.options["speed"]
    template, text = phr.draw(rng, "speed")
    options, answer = mcq(draws, rng, texts[variant], [texts[v] for v in SPEED_VARIANTS if v != variant])
    return SceneQuestion("speed", variant, video, tuple(frames), text, options, answer, template)


def action_wrong_options(rng: UnitRng, label: str, vocabulary: Sequence[str], simmap: SimilarityMap,
                         count: int = 3) -> list[str]:
    """``count`` wrong actions for ``label``: similar ones first, then this build's labels, then the
    map's; never ``label`` itself nor an action ``label`` entails; ``[]`` if too few exist."""
    banned = {label, *simmap.entails.get(label, ())}
    tiers = [list(simmap.similar.get(label, ())), sorted(set(vocabulary)), sorted(simmap.similar)]
    chosen: list[str] = []
    for tier in tiers:
        pool = [a for a in dict.fromkeys(tier) if a not in banned and a not in chosen]
        chosen += rng.sample(pool, min(count - len(chosen), len(pool)))
        if len(chosen) == count:
            return chosen
    return []


def action_question(label: str, video: str, frames: Sequence[str], wrong: Sequence[str], rng: UnitRng,
                    draws: VideoDraws, phr: Phrasings) -> SceneQuestion:
    template, text = phr.draw(rng, "action")
    options, answer = mcq(draws, rng, label, wrong)
    return SceneQuestion("action", "", video, tuple(frames), text, options, answer, template)


def effect_question(effect: Effect, video: str, frames: Sequence[str], rng: UnitRng, draws: VideoDraws,
                    phr: Phrasings) -> SceneQuestion:
    template, text = phr.draw(rng, "effect")
    if effect.question:
        template, text = "annotation", effect.question
    options, answer = mcq(draws, rng, effect.answer, effect.wrong)
    return SceneQuestion("effect", "", video, tuple(frames), text, options, answer, template)
