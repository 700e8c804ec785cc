"""finebench statistics: the column-wise ``build_stats`` against the former per-record loop.

``reference_stats`` below is the per-record implementation ``build_stats`` replaced, kept here
as the oracle; a hand-computed example guards against the two sharing a mistake.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy.stats import chi2, chisquare

from pipelines.finebench.blindstats import acceptance
from pipelines.finebench.schema import MCQ_FEATURES
from pipelines.finebench.stats import blind_baselines, build_stats, letter_balance
from pipelines.finebench.subset import shares

LETTERS = "ABCD"


def _argmax(values: Sequence[float]) -> int:
    best = 0
    for i, value in enumerate(values):
        if value > values[best]:
            best = i
    return best


def reference_baselines(records: Sequence[dict[str, Any]]) -> dict[str, float]:
    if not records:
        return {}
    answered = Counter({"longest_option": 0, "shortest_option": 0, "template_answer_frequency": 0,
                        "option_prior": 0})
    by_template = Counter((r["template_id"], r["answer_text"]) for r in records)
    correct = Counter(r["answer_text"] for r in records)
    present = Counter(o for r in records for o in r["options"])
    for r in records:
        options, truth, answer = r["options"], LETTERS.index(r["answer"]), r["answer_text"]
        answered["longest_option"] += _argmax([len(o) for o in options]) == truth
        answered["shortest_option"] += _argmax([-len(o) for o in options]) == truth
        freq = [by_template[(r["template_id"], o)] - (o == answer) for o in options]
        answered["template_answer_frequency"] += _argmax(freq) == truth
        prior = [(correct[o] - (o == answer)) / (present[o] - 1) if present[o] > 1 else 0.0
                 for o in options]
        answered["option_prior"] += _argmax(prior) == truth
    return {name: n / len(records) for name, n in answered.items()}


def reference_stats(records: Sequence[dict[str, Any]], subset_ids: Sequence[str]) -> dict[str, Any]:
    by_category = Counter(r["category"] for r in records)
    compound = Counter(r["category"] for r in records if r["is_compound"])
    keyframes = {(r["video_id"], r["timestamp"]): r["num_persons"] for r in records}
    tiers = Counter(t for r in records for t in r["distractor_tiers"])
    subset = [r for r in records if r["in_subset"]]
    letters = Counter(r["answer"] for r in records)
    observed = [letters.get(letter, 0) for letter in LETTERS]
    total_tiers = sum(tiers.values()) or 1
    return {
        "questions": len(records),
        "videos": len({r["video_id"] for r in records}),
        "keyframes": len(keyframes),
        "by_category": dict(sorted(by_category.items())),
        "compound_by_category": {c: compound.get(c, 0) for c in sorted(by_category)},
        "compound_share": (sum(compound.values()) / len(records)) if records else 0.0,
        "none_family": sum(r["template_id"].startswith("xo") for r in records),
        "none_keyed": sum(not r["action_ids"] for r in records),
        "persons_per_keyframe": dict(sorted(Counter(keyframes.values()).items())),
        "letters": {"counts": dict(zip(LETTERS, observed, strict=True)),
                    "chi2_p": float(chisquare(observed).pvalue) if sum(observed) else 1.0},
        "tier_shares": {t: tiers[t] / total_tiers for t in sorted(tiers)},
        "templates_used": dict(sorted(Counter(r["template_id"] for r in records).items())),
        "blind_baselines": reference_baselines(records),
        "chance": 0.25,
        "subset_videos": list(subset_ids),
        "subset_questions": len(subset),
        "subset_by_category": dict(sorted(Counter(r["category"] for r in subset).items())),
        "full_by_category_share": dict(sorted(shares(by_category).items())),
        "subset_by_category_share": dict(sorted(shares(Counter(r["category"] for r in subset)).items())),
        # the core blind model is not computed by default (blind_sample=0); acceptance figures
        # then compare the categories with themselves (no offered units given)
        "blind": None,
        "acceptance": acceptance(dict(by_category), dict(by_category), None),
    }


def record(video: str, ts: int, persons: int, category: str, template: str, options: list[str],
           answer: str, *, compound: bool = False, subset: bool = False, tiers: Sequence[str] = "abc",
           rid: str | None = None) -> dict[str, Any]:
    """A full MCQ row; the fields the statistics do not read get fixed filler values."""
    return {
        "id": rid or f"{video}-{ts}-{template}-{'|'.join(options)}", "video_id": video, "timestamp": ts,
        "person_id": 0, "bbox": [0.0, 0.0, 1.0, 1.0], "num_persons": persons, "person_rank": 0,
        "referring_phrase": "the person", "category": category, "action_ids": [1],
        "action_names": ["stand"], "is_compound": compound, "template_id": template,
        "question": "What is the person doing?", "options": options, "answer": answer,
        "answer_text": options[LETTERS.index(answer)], "distractor_tiers": list(tiers), "box_hint": "",
        "frame_times": [], "frame_keys": [], "in_subset": subset,
    }


def to_table(records: Sequence[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(list(records), schema=MCQ_FEATURES.arrow_schema)


# same-length texts force length ties; "née"/"nee" differ in bytes but not in code points;
# "never right" is offered but never the answer
TEXTS = ["sit", "run", "eat", "née", "nee", "talk to", "listen to", "stand", "walk", "carry a bag",
         "ride", "never right", "a", "b", "dance", "hug"]


def synthetic(count: int, seed: int, n_templates: int = 6) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        video = f"v{rng.randrange(7)}"
        ts = 900 + rng.randrange(5)
        options = rng.sample(TEXTS, 4)
        if rng.random() < 0.05:  # a repeated text inside one question
            options[rng.randrange(4)] = options[rng.randrange(4)]
        letter = rng.choice([LETTERS[j] for j in range(4) if options[j] != "never right"])
        rows.append(record(
            video, ts, persons=1 + (int(video[1:]) * 5 + ts) % 4,
            category=rng.choice(["pose", "object", "person"]),
            template=f"t{rng.randrange(n_templates)}", options=options, answer=letter,
            compound=rng.random() < 0.3, subset=video in {"v1", "v4"},
            tiers=[rng.choice("abc") for _ in range(3)], rid=f"q{i}"))
    return rows


HAND = [
    record("v1", 1, 2, "pose", "T1", ["aaa", "b", "cc", "dddd"], "A"),
    record("v1", 1, 2, "pose", "T1", ["b", "aaa", "cc", "dddd"], "B", compound=True, tiers="aab"),
    record("v1", 2, 1, "object", "T2", ["cc", "b", "aaa", "dddd"], "B", tiers="bbc"),
    record("v2", 1, 1, "object", "T2", ["dddd", "cc", "b", "aaa"], "A", subset=True),
]


def test_hand_computed_example():
    stats = build_stats(to_table(HAND), ["v2"])
    # longest: only the 4th question's answer is its longest option; shortest: only the 3rd's.
    # template frequency (leave-one-out): (T1, aaa) is seen twice, so questions 1 and 2 are right.
    # option prior: every text is offered 4 times; the 1st question picks aaa (1/3, ahead of the
    # tied b and dddd); the 2nd ties b, aaa and dddd at 1/3 and takes b, the earliest: wrong.
    assert stats["blind_baselines"] == {"longest_option": 0.25, "shortest_option": 0.25,
                                        "template_answer_frequency": 0.5, "option_prior": 0.25}
    assert stats["letters"]["counts"] == {"A": 2, "B": 2, "C": 0, "D": 0}
    assert stats["letters"]["chi2_p"] == pytest.approx(chi2.sf(4.0, 3))
    assert (stats["questions"], stats["videos"], stats["keyframes"]) == (4, 2, 3)
    assert stats["persons_per_keyframe"] == {1: 2, 2: 1}
    assert stats["by_category"] == {"object": 2, "pose": 2}
    assert stats["compound_by_category"] == {"object": 0, "pose": 1}
    assert stats["compound_share"] == 0.25
    assert stats["tier_shares"] == {"a": 4 / 12, "b": 5 / 12, "c": 3 / 12}
    assert stats["templates_used"] == {"T1": 2, "T2": 2}
    assert (stats["subset_questions"], stats["subset_by_category"]) == (1, {"object": 1})
    assert stats["subset_by_category_share"] == {"object": 1.0}
    assert stats == reference_stats(HAND, ["v2"])


def plain(value: Any) -> bool:
    """Only built-in types, all the way down (no numpy scalars in the output)."""
    if isinstance(value, dict):
        return all(type(k) in (str, int) and plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(plain(v) for v in value)
    return value is None or type(value) in (str, int, float, bool)


# the last case has more (template, text) pairs than rows: the sparse template-count lookup
@pytest.mark.parametrize(("count", "seed", "n_templates"),
                         [(1, 0, 1), (7, 1, 2), (300, 2, 6), (2000, 3, 40), (2000, 4, 5000)])
def test_matches_per_record_reference(count: int, seed: int, n_templates: int):
    records = synthetic(count, seed, n_templates)
    stats = build_stats(to_table(records), ["v1", "v4"])
    assert stats == reference_stats(records, ["v1", "v4"])
    assert plain(stats)


def test_multi_chunk_table_matches():
    records = synthetic(500, 5)
    table = pa.concat_tables([to_table(records[:120]), to_table(records[120:])])
    assert table.column("options").num_chunks == 2
    assert build_stats(table, []) == reference_stats(records, [])


def test_empty_table():
    empty = to_table([])
    stats = build_stats(empty, [])
    assert stats == reference_stats([], [])
    assert blind_baselines(empty) == {}
    assert letter_balance(empty) == {"counts": dict.fromkeys(LETTERS, 0), "chi2_p": 1.0}
    assert plain(stats)


def test_unknown_answer_letter_rejected():
    bad = [dict(HAND[0], answer="E")]
    with pytest.raises(ValueError, match="A\\.\\.D"):
        blind_baselines(to_table(bad))


def test_real_build_matches_reference(real_build):
    """The AVA excerpt build: statistics recomputed from its parquet shards, both ways."""
    shards = sorted((real_build.build_dir / "data" / "mcq").glob("*.parquet"))
    assert shards
    table = pa.concat_tables([pq.read_table(p) for p in shards])
    records, subset_ids = table.to_pylist(), real_build.stats["subset_videos"]
    assert len(records) == real_build.stats["questions"] > 0
    expected = reference_stats(records, subset_ids)
    assert build_stats(table, subset_ids) == expected
    new = ("blind", "acceptance", "key_ratio")
    assert {k: v for k, v in real_build.stats.items() if k not in new} == {
        k: v for k, v in expected.items() if k not in new}
    # the build's acceptance figures: offered units from the ledger, blind model split both ways
    figures, blind = real_build.stats["acceptance"], real_build.stats["blind"]
    assert figures["units_offered"] == real_build.ledger.stages["units"].inputs
    assert figures["kept"] == pytest.approx(len(records) / figures["units_offered"])
    assert set(blind["splits"]) == {"video", "keyframe"} and blind["chance"] == 0.25
    assert figures["blind_best"] == blind["best"] == max(
        v for split in blind["splits"].values() for k, v in split.items() if k != "groups")
    assert figures["blind_ok"] == (blind["best"] <= 0.30)


def test_acceptance_figures_flag_every_missed_target():
    """Blind above 30%, kept below 60%, a share gap above 5 points: each is flagged in the figures
    and in the summary lines; a build meeting all three shows no flag."""
    from types import SimpleNamespace

    from pipelines.finebench.blindstats import acceptance
    from pipelines.finebench.cli import summary

    def lines(asked: dict[str, int], best: float) -> dict[str, object]:
        figures = acceptance(asked, {"movement": 50, "object": 50}, {"best": best})
        stats = {"acceptance": figures, "questions": sum(asked.values()), "subset_questions": 0,
                 "letters": {"counts": {}}, "blind_baselines": {}, "blind": {"best_model": "keyframe/x"}}
        return {"figures": figures, **summary(SimpleNamespace(stats=stats))}

    missed = lines({"movement": 30, "object": 10}, 0.31)
    assert missed["figures"]["kept_ok"] is False and missed["figures"]["shares_ok"] is False
    assert missed["figures"]["blind_ok"] is False
    assert "ABOVE TARGET" in missed["blind model (best)"] and "BELOW TARGET" in missed["kept"]
    assert "ABOVE TARGET" in missed["category shares (questions vs units)"]
    met = lines({"movement": 36, "object": 34}, 0.27)
    assert met["figures"]["kept_ok"] and met["figures"]["shares_ok"] and met["figures"]["blind_ok"]
    assert not any("TARGET" in str(v) for k, v in met.items() if k != "figures")


def test_summary_says_why_the_blind_model_was_not_computed():
    from types import SimpleNamespace

    from pipelines.finebench.blindstats import acceptance
    from pipelines.finebench.cli import summary

    def blind_line(asked: dict[str, int]) -> str:
        stats = {"acceptance": acceptance(asked, {"movement": 50}, None), "questions": sum(asked.values()),
                 "subset_questions": 0, "letters": {"counts": {}}, "blind_baselines": {}, "blind": None}
        return summary(SimpleNamespace(stats=stats))["blind model (best)"]

    assert blind_line({"movement": 40}) == "not computed (--blind-sample 0)"
    assert blind_line({}) == "not computed (no questions)"  # a CSV whose units were all rejected
