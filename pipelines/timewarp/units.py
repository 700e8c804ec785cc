"""One video in, every config's records out (pure; run once per video on any executor).

Keys: a video's generator is ``UnitRng(seed, "<video_id>/<purpose>")``. Media paths in records
are relative to the build folder (``media/<video_id>/{normal,shuffled,reversed}.mp4`` and
``..._frames/``); they exist when videos were given (see ``render``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipelines.core.finevideo import MetaReject, VideoMeta
from pipelines.core.rng import UnitRng
from pipelines.core.tally import Rejection, Tally
from pipelines.timewarp.config import TimewarpParams
from pipelines.timewarp.implicit import OFFLINE_BACKEND, offline_texts, plan_implicit
from pipelines.timewarp.mcq import LETTERS, timewar_questions
from pipelines.timewarp.perturb import event_sequence, reversed_order, shuffled_order
from pipelines.timewarp.probe import probe_statements
from pipelines.timewarp.temporal_qa import answer, candidate_questions
from pipelines.timewarp.trim import TrimmedVideo, trim

CONFIGS = ("sft", "dpo", "kto", "timewar_normal", "timewar_shuffled", "implicit", "ordering_probe")


@dataclass
class VideoOutput:
    """One video's records and its :class:`Tally` (``count``/``rejects``/``stage_*`` read it)."""

    video_id: str
    trimmed: TrimmedVideo | None = None
    records: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {c: [] for c in CONFIGS})
    tally: Tally = field(default_factory=Tally)
    orders: dict[str, tuple[int, ...]] = field(default_factory=dict)
    perturbation: str = ""

    @property
    def stage_inputs(self) -> dict[str, int]:
        return self.tally.inputs

    @property
    def stage_accepted(self) -> dict[str, int]:
        return self.tally.accepted

    @property
    def rejects(self) -> list[Rejection]:  # (stage, unit, reason, detail), appended in order
        return self.tally.rejects

    def count(self, stage: str, inputs: int, accepted: int) -> None:
        self.tally.count(stage, inputs, accepted)


def media(video_id: str, variant: str) -> str:
    return f"media/{video_id}/{variant}.mp4"


def process_video(params: TimewarpParams, meta: VideoMeta | MetaReject) -> VideoOutput:
    out = VideoOutput(meta.video_id)
    if isinstance(meta, MetaReject):
        out.count("videos", 1, 0)
        out.rejects.append(("videos", meta.source, meta.reason, meta.detail))
        return out
    trimmed = trim(meta, params.cap_seconds, params.min_scene_seconds)
    if not isinstance(trimmed, TrimmedVideo):
        out.count("videos", 1, 0)
        out.rejects.append(("videos", meta.source, trimmed[0], trimmed[1]))
        return out
    out.count("videos", 1, 1)
    out.trimmed = trimmed
    vid = meta.video_id
    count = len(trimmed.scenes)
    out.orders = {"normal": tuple(range(count)), "reversed": reversed_order(count),
                  "shuffled": shuffled_order(count, UnitRng(params.seed, f"{vid}/shuffle"))}
    out.perturbation = ("shuffled", "reversed")[UnitRng(params.seed, f"{vid}/perturbation").below(2)]
    sequences = {name: event_sequence(trimmed, order) for name, order in out.orders.items()}
    _preferences(params, out, sequences)
    _timewar(params, out, sequences)
    _probe(out)
    _implicit(params, out)
    return out


def same_answer(a: str, b: str) -> bool:
    """Answers equal up to case, spacing and punctuation (the question did not depend on order)."""
    def norm(text: str) -> str:
        return " ".join("".join(c for c in text.lower() if c.isalnum() or c.isspace()).split())
    return norm(a) == norm(b)


def add_pair(out: VideoOutput, number: int, question: str, kind: str, chosen: str, rejected: str) -> bool:
    """Records of one temporal question (SFT, DPO, four KTO samples), or an ``order_insensitive``
    rejection when both answers agree. Shared by the offline and the LLM back-ends."""
    vid, perturbation = out.video_id, out.perturbation
    key = f"{vid}-qa{number}"
    if same_answer(chosen, rejected):
        out.rejects.append(("qa_pairs", key, "order_insensitive", kind))
        return False
    common = {"video_id": vid, "prompt": question, "question_kind": kind}
    out.records["sft"].append({"id": key, "video": media(vid, "normal"), "task": "temporal_qa",
                               "response": chosen, "video_id": vid, "prompt": question})
    out.records["dpo"].append({"id": key, "video": media(vid, "normal"), "perturbation": perturbation,
                               "perturbed_video": media(vid, perturbation), "chosen": chosen,
                               "rejected": rejected, "scene_order": list(out.orders[perturbation]),
                               **common})
    for suffix, variant, completion, label in (("a", "normal", chosen, True),
                                               ("b", "normal", rejected, False),
                                               ("c", perturbation, rejected, True),
                                               ("d", perturbation, chosen, False)):
        out.records["kto"].append({"id": f"{key}{suffix}", "pair_id": key, "video": media(vid, variant),
                                   "video_variant": variant, "completion": completion, "label": label,
                                   **common})
    return True


def _preferences(params: TimewarpParams, out: VideoOutput, sequences: dict[str, list[str]]) -> None:
    vid, trimmed = out.video_id, out.trimmed
    assert trimmed is not None
    out.records["sft"].append({
        "id": f"{vid}-caption", "video_id": vid, "video": media(vid, "normal"), "task": "caption",
        "prompt": "Describe the events of this video in the order they happen.",
        "response": trimmed.caption})
    if params.llm != "offline":
        return  # questions come from the LLM stage (llm_qa.py), run by the build over all videos
    questions = candidate_questions(sequences["normal"], UnitRng(params.seed, f"{vid}/qa"),
                                    params.qa_per_video)
    accepted = sum(add_pair(out, number, q.question, q.kind, answer(q, sequences["normal"]),
                            answer(q, sequences[out.perturbation]))
                   for number, q in enumerate(questions))
    out.count("qa_pairs", len(questions), accepted)


def _timewar(params: TimewarpParams, out: VideoOutput, sequences: dict[str, list[str]]) -> None:
    vid = out.video_id
    slots = [0, 1, 2, 3]
    UnitRng(params.seed, f"{vid}/letters").shuffle(slots)
    slots = (slots * ((params.mcq_per_video + 3) // 4))[:params.mcq_per_video]
    questions = timewar_questions(sequences["normal"], sequences["shuffled"],
                                  UnitRng(params.seed, f"{vid}/timewar"), params.mcq_per_video, slots)
    if not questions:
        reason = "too_few_events" if len(sequences["normal"]) < 4 else "no_order_sensitive_question"
        out.count("timewar", 1, 0)
        out.rejects.append(("timewar", vid, reason, f"{len(sequences['normal'])} events"))
        return
    out.count("timewar", 1, 1)
    for number, q in enumerate(questions):
        for variant, right in (("normal", q.normal_answer), ("shuffled", q.shuffled_answer)):
            out.records[f"timewar_{variant}"].append({
                "id": f"{vid}-tw{number}-{variant}", "pair_id": f"{vid}-tw{number}", "video_id": vid,
                "video": media(vid, variant), "variant": variant, "question_kind": q.kind,
                "question": q.question, "options": list(q.options),
                "answer": LETTERS[q.options.index(right)], "answer_text": right,
                "scene_order": list(out.orders[variant])})


def _probe(out: VideoOutput) -> None:
    assert out.trimmed is not None
    statements = probe_statements(list(out.trimmed.events))
    if statements is None:
        out.count("ordering_probe", 1, 0)
        out.rejects.append(("ordering_probe", out.video_id, "too_few_events",
                            f"{len(out.trimmed.events)} timed events, need 4"))
        return
    out.count("ordering_probe", 1, 1)
    for number, s in enumerate(statements):
        out.records["ordering_probe"].append({
            "id": f"{out.video_id}-probe{number}", "video_id": out.video_id,
            "video": media(out.video_id, "normal"), "distance": s.distance, "side": s.side,
            "hops": s.hops, "gap_seconds": s.gap_seconds, "event_a": s.event_a, "event_b": s.event_b,
            "statement": s.statement, "answer": s.answer})


def _implicit(params: TimewarpParams, out: VideoOutput) -> None:
    assert out.trimmed is not None
    rng = UnitRng(params.seed, f"{out.video_id}/implicit")
    plan = plan_implicit(rng)
    preferred, dispreferred = offline_texts(out.trimmed, plan, rng)
    out.count("implicit", 1, 1)
    out.records["implicit"].append({
        "id": f"{out.video_id}-implicit", "video_id": out.video_id, "video": media(out.video_id, "normal"),
        "prompt": plan.prompt, "chosen": preferred, "rejected": dispreferred, "dispreferred_kind": plan.kind,
        "theme": plan.theme, "backend": OFFLINE_BACKEND})
