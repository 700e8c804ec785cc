"""The card's statistics of a fragments build as a fold, fed one video's rows at a time.

The statistics are about *questions*: every row of the three configs as one question record
(:func:`unit_questions`), in the order ``bench_fragment``, ``bench_scene``, ``sft`` (the benchmark
first), each config in unit order. Rows arrive unit by unit, so that order is not the arrival
order; :class:`QuestionFold` keeps only what the figures need:
- counters (questions per task x N, key letters and Yes/No keys) and the training videos;
- per config, two bytes per question (task number, option count): the chance figures are float
  means whose sum is taken again in the whole-list order at the end, so they are bit-identical;
- the first question of each kind per config (the report's sample cards);
- the keyed samples of the text-only models (core/reservoir.py), per task and over every question,
  and per scope the number of videos it covers (the models' groups).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from functools import partial
from typing import Any

from pipelines.core.blind import sample_rank
from pipelines.core.evalformats import LETTERS
from pipelines.core.reservoir import SegmentedSample

Row = dict[str, Any]
SEGMENTS = (("bench_fragment", "test"), ("bench_scene", "test"), ("sft", "train"))  # whole-list order
ALL = "all"  # the scope of every question (the others are tasks)
SAMPLE = 20_000  # questions per scope the text-only models see (a keyed sample beyond that)
YES_NO = ("frame_comparison", "adjust_or_not", "speed")


def question(config: str, row: Row) -> Row:
    """A row as a question record: with its split, options and key text (``sft``: read back
    from the prompt) and ``n`` (0 for scene questions)."""
    if config != "sft":
        return {**row, "split": dict(SEGMENTS)[config], "n": row.get("n", 0)}
    lines = row["prompt"].split("\n")
    options = [line[3:] for line in lines[1:-1]]
    return {**row, "split": "train", "question": lines[0], "options": options,
            "answer_text": options[LETTERS.index(row["answer"])]}


def segment_rows(rows: Mapping[str, Sequence[Row]]) -> Iterator[tuple[int, str, Row]]:
    """(segment, config, row) of one batch of rows per config, segment after segment."""
    for segment, (config, _) in enumerate(SEGMENTS):
        for row in rows.get(config, ()):
            yield segment, config, row


def unit_questions(rows: Mapping[str, Sequence[Row]]) -> Iterator[tuple[int, Row]]:
    """(segment, question) of one batch of rows per config, segment after segment."""
    return ((segment, question(config, row)) for segment, config, row in segment_rows(rows))


def card_kind(q: Row) -> str:
    return f"{q['task']}/{str(q.get('subtask', '')).split('/')[0]}"


class QuestionFold:
    """Fed with :meth:`add` (one batch of rows per config, in unit order); see module docstring."""

    def __init__(self, seed: int) -> None:
        self.tasks: dict[str, int] = {}  # task -> its number in ``shares``
        self.shares = [bytearray() for _ in SEGMENTS]  # per segment: (task number, option count)...
        self.by_task_n: dict[str, Counter[str]] = {}
        self.keys: dict[str, Counter[str]] = {}
        self.train_videos: set[str] = set()
        self.groups: Counter[str] = Counter()  # scope -> videos with a question in it
        self.seen = [0] * len(SEGMENTS)
        self.firsts: dict[str, tuple[int, int, Row]] = {}  # kind -> (segment, index, question)
        self.sample = SegmentedSample(SAMPLE, partial(sample_rank, seed))

    def add(self, rows: Mapping[str, Sequence[Row]]) -> None:
        """One batch of rows per config: a video's rows are all in one batch (a unit's rows, or
        whole lists)."""
        videos: set[tuple[str, str]] = set()  # (scope, video) pairs of this batch
        for segment, q in unit_questions(rows):
            task = q["task"]
            number = self.tasks.setdefault(task, len(self.tasks))
            self.shares[segment] += bytes((number, len(q["options"])))
            self.by_task_n.setdefault(task, Counter())[str(q["n"]) if q["n"] else "scene"] += 1
            keys = self.keys.setdefault(task, Counter())
            keys[f"letter {q['answer']}"] += 1
            if task in YES_NO:
                keys[f"key {q['answer_text']}"] += 1
            for scope in (ALL, task):
                self.sample.offer(scope, segment, q["id"])
            videos.update(((ALL, q["video_id"]), (task, q["video_id"])))
            kind = card_kind(q)
            if kind not in self.firsts or self.firsts[kind][0] > segment:
                self.firsts[kind] = (segment, self.seen[segment], q)
            self.seen[segment] += 1
        self.groups.update(scope for scope, _ in videos)
        self.train_videos.update(r["video_id"] for r in rows.get("sft", ()))

    def questions(self) -> int:
        return sum(self.seen)

    def option_shares(self, scope: str) -> Iterator[float]:
        """1 / option count of every question of ``scope``, in whole-list order."""
        number = None if scope == ALL else self.tasks[scope]
        for shares in self.shares:
            for i in range(0, len(shares), 2):
                if number is None or shares[i] == number:
                    yield 1.0 / shares[i + 1]

    def mean_share(self, scope: str) -> float:
        """The chance of uniform guessing over ``scope``: the mean of 1 / option count, summed
        in whole-list order (the same float as over the whole list)."""
        return sum(self.option_shares(scope)) / sum(1 for _ in self.option_shares(scope))

    def first_questions(self) -> list[Row]:
        """The first question of each kind (benchmark first), in whole-list order."""
        return [q for _, _, q in sorted(self.firsts.values(), key=lambda first: first[:2])]
