"""The five fragment questions about one (video, N) sample (pure functions).

Every question keeps: the frames in presented order (paths and times), their ``time_order``
(time rank of each presented frame), the question, the options, the index of the key, and the
template id. Rules enforced here: Frame Count's key is the number of frames given; Adjust or Not
says Yes exactly when the presented order is not time order (and then it is a non-identity
shuffle); Rearrangement's key, applied to the presented frames, gives time order; Frame
Comparison's "same" pairs show one frame twice; "Not sure" is never the key; Yes/No keys alternate
per video and key positions cycle per video (:mod:`.arrange`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pipelines.core.rng import UnitRng
from pipelines.fragments.arrange import (
    Alternation,
    Positions,
    identity,
    other_permutations,
    place,
    restoring_sequence,
    shuffled_order,
)
from pipelines.fragments.phrasing import Phrasings

FRAGMENT_TASKS = ("frame_count", "meaning_of_order", "frame_comparison", "adjust_or_not", "rearrangement")


@dataclass(frozen=True)
class Sample:
    """N frames chosen from one video: times ascending, image paths in the same order."""

    video_id: str
    n: int
    times: tuple[float, ...]
    frames: tuple[str, ...]


@dataclass(frozen=True)
class Question:
    task: str
    subtask: str
    n: int
    frames: tuple[str, ...]  # presented order
    frame_times: tuple[float, ...]  # presented order
    time_order: tuple[int, ...]  # time rank (1 = earliest) of each presented frame
    question: str
    options: tuple[str, ...]
    answer: int  # index into options
    template: str


@dataclass
class VideoDraws:
    """The per-video balancing state shared by all of one video's questions."""

    positions: Positions
    compare_yes: Alternation
    adjust_yes: Alternation
    swap_two: Alternation

    @classmethod
    def for_video(cls, seed: int, video_id: str) -> VideoDraws:
        return cls(Positions(UnitRng(seed, f"{video_id}/positions")),
                   Alternation(UnitRng(seed, f"{video_id}/compare_yes")),
                   Alternation(UnitRng(seed, f"{video_id}/adjust_yes")),
                   Alternation(UnitRng(seed, f"{video_id}/swap_two")))


def mcq(draws: VideoDraws, rng: UnitRng, key: str, others: Sequence[str]) -> tuple[tuple[str, ...], int]:
    shuffled = list(others)
    rng.shuffle(shuffled)
    options, answer = place(key, shuffled, draws.positions.next(len(others) + 1))
    return tuple(options), answer


def _presented(sample: Sample, order: Sequence[int]) -> tuple[tuple[str, ...], tuple[float, ...]]:
    return tuple(sample.frames[k - 1] for k in order), tuple(sample.times[k - 1] for k in order)


def frame_count(sample: Sample, rng: UnitRng, draws: VideoDraws, phr: Phrasings) -> Question:
    template, text = phr.draw(rng, "frame_count")
    pool = [k for k in range(2, max(6, sample.n) + 1) if k != sample.n]
    others = [phr.options["frame_count"].format(n=k) for k in rng.sample(pool, 3)]
    options, answer = mcq(draws, rng, phr.options["frame_count"].format(n=sample.n), others)
    return Question("frame_count", "", sample.n, sample.frames, sample.times, identity(sample.n), text,
                    options, answer, template)


def _yes_no(draws: VideoDraws, rng: UnitRng, yes: bool, phr: Phrasings) -> tuple[tuple[str, ...], int]:
    key, other = (phr.options["yes"], phr.options["no"]) if yes else (phr.options["no"], phr.options["yes"])
    return mcq(draws, rng, key, [other, phr.options["not_sure"]])


def adjust_or_not(sample: Sample, rng: UnitRng, draws: VideoDraws, phr: Phrasings) -> Question:
    needs_adjusting = draws.adjust_yes.next()
    order = shuffled_order(rng, sample.n) if needs_adjusting else identity(sample.n)
    frames, times = _presented(sample, order)
    template, text = phr.draw(rng, "adjust_or_not")
    options, answer = _yes_no(draws, rng, needs_adjusting, phr)
    return Question("adjust_or_not", "shuffled" if needs_adjusting else "in_order", sample.n, frames, times,
                    order, text, options, answer, template)


def permutation_text(sequence: Sequence[int]) -> str:
    return ", ".join(map(str, sequence))


def rearrangement(sample: Sample, rng: UnitRng, draws: VideoDraws, phr: Phrasings) -> Question:
    """N >= 3: a non-identity shuffle and four non-identity orders as options. N = 2: either order
    is shown (alternating per video) and both orders are the options."""
    if sample.n == 2:
        order = (2, 1) if draws.swap_two.next() else (1, 2)
        exclude: set[tuple[int, ...]] = set()
    else:
        order = shuffled_order(rng, sample.n)
        exclude = {identity(sample.n)}
    frames, times = _presented(sample, order)
    key = restoring_sequence(order)
    others = [permutation_text(p) for p in other_permutations(rng, key, 3, exclude)]
    template, text = phr.draw(rng, "rearrangement")
    options, answer = mcq(draws, rng, permutation_text(key), others)
    return Question("rearrangement", "", sample.n, frames, times, order, text, options, answer, template)


def frame_comparison(sample: Sample, rng: UnitRng, draws: VideoDraws, phr: Phrasings) -> Question:
    """Two frames: one frame twice ("same" pair) or two different sampled frames (any two sampled
    frames differ by more than the floor). The question asks "same?" or "different?" so that the
    key alternates Yes/No per video independently of the pair kind."""
    yes = draws.compare_yes.next()
    same_pair = rng.below(2) == 1
    ask = "same" if same_pair == yes else "different"
    if same_pair:
        first = 1 + rng.below(sample.n)
        order: tuple[int, ...] = (first, first)
        time_order = (1, 1)
    else:
        order = tuple(rng.sample(range(1, sample.n + 1), 2))
        time_order = (1, 2) if order[0] < order[1] else (2, 1)
    frames, times = _presented(sample, order)
    template, text = phr.draw(rng, ask)
    options, answer = _yes_no(draws, rng, yes, phr)
    return Question("frame_comparison", f"{'same' if same_pair else 'different'}_pair/ask_{ask}", sample.n,
                    frames, times, time_order, text, options, answer, template)
