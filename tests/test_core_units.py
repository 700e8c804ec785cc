"""Unit behaviour of the pure pieces: per-unit randomness, referring rule, subset, balancing."""

from __future__ import annotations

from collections import Counter

import pyarrow as pa
import pytest

from pipelines.core import atomic
from pipelines.core.accounting import Ledger, Reject, jsonl_of
from pipelines.core.referring import phrase_for_rank, rank_people, resolve_phrase
from pipelines.core.rng import UnitRng
from pipelines.finebench.balance import cap_level, keep_probabilities
from pipelines.finebench.subset import choose_subset, distance, shares


def test_unit_rng_depends_only_on_seed_and_key():
    a = [UnitRng(3, "vid/0902/1/person_movement").below(1000) for _ in range(3)]
    assert len(set(a)) == 1
    first = UnitRng(3, "k1")
    seq1 = [first.below(10**6) for _ in range(5)]
    UnitRng(3, "other").below(5)  # consuming another unit's generator changes nothing
    second = UnitRng(3, "k1")
    assert [second.below(10**6) for _ in range(5)] == seq1
    assert UnitRng(4, "k1").below(10**9) != UnitRng(3, "k1").below(10**9)


def test_unit_rng_is_uniform_enough():
    counts = Counter(UnitRng(0, f"u{i}").below(4) for i in range(8000))
    assert all(1850 < counts[k] < 2150 for k in range(4)), counts
    items = list(range(10))
    rng = UnitRng(1, "s")
    rng.shuffle(items)
    assert sorted(items) == list(range(10)) and items != list(range(10))
    assert len(set(UnitRng(1, "x").sample(range(20), 5))) == 5


@pytest.mark.parametrize("count", range(1, 9))
def test_every_phrase_resolves_to_its_rank(count):
    phrases = [phrase_for_rank(r, count) for r in range(1, count + 1)]
    assert len(set(phrases)) == count
    assert [resolve_phrase(p, count) for p in phrases] == list(range(1, count + 1))
    assert all(p.startswith("the ") for p in phrases)


def test_phrase_wording():
    assert phrase_for_rank(1, 1) == "the person"
    assert [phrase_for_rank(r, 2) for r in (1, 2)] == ["the person on the left", "the person on the right"]
    assert [phrase_for_rank(r, 3) for r in (1, 2, 3)] == [
        "the leftmost person", "the person in the center", "the rightmost person"]
    assert phrase_for_rank(2, 4) == "the second person from the left"


def test_close_centres_are_ambiguous_only_for_the_pair():
    boxes = [(0.10, 0, 0.20, 1), (0.50, 0, 0.60, 1), (0.51, 0, 0.61, 1), (0.80, 0, 0.90, 1)]
    ranks = rank_people(boxes, min_center_gap=0.03)
    assert ranks == [(1, True), (2, False), (3, False), (4, True)]


def test_subset_picks_closest_mix():
    per_video = {
        "a": Counter({"x": 10, "y": 0}), "b": Counter({"x": 5, "y": 5}),
        "c": Counter({"x": 0, "y": 10}), "d": Counter({"x": 6, "y": 4}),
    }
    full = shares(sum(per_video.values(), Counter()))  # x 52.5%, y 47.5%
    assert choose_subset(per_video, 0.25) == ["b"]  # 50/50 is the closest single video
    pair = choose_subset(per_video, 0.5)
    best = min(((u, v) for u in per_video for v in per_video if u < v),
               key=lambda uv: (round(distance(shares(per_video[uv[0]] + per_video[uv[1]]), full), 12), uv))
    assert pair == list(best)  # ties go to the smaller sorted ids


def test_answer_cap_limits_share():
    counts = [800, 100, 60, 40]
    level = cap_level(counts, 0.25)
    kept = [min(n, level) for n in counts]
    assert max(kept) <= 0.25 * sum(kept) + 1e-6
    keep = keep_probabilities(Counter({("person_movement", (12,)): 800, ("person_movement", (11,)): 100,
                                       ("person_movement", (14,)): 60, ("person_movement", (1,)): 40}),
                              0.25)
    assert keep[("person_movement", (12,))] < 0.2 and keep[("person_movement", (1,))] == 1.0
    assert cap_level(counts, 1.0) == float("inf")


def test_ledger_reconciles():
    ledger = Ledger()
    ledger.add_inputs("rows", 3)
    ledger.accept("rows", 2)
    assert not ledger.reconciles()
    ledger.reject(Reject("rows", "f:3", "bad_box"))
    assert ledger.reconciles() and ledger.to_json()["rows"]["rejected"] == {"bad_box": 1}


def test_probe_scoring_rules():
    from pipelines.timewarp.probe import score_probe

    # video v1: near/before 3 of 4 right (pass), near/after 1 of 4 (fail) -> category 4 of 8 (fail)
    # video v2: near/before 4 of 4, near/after 2 of 4 -> category 6 of 8 (pass)
    answers = ([("v1", "near", "before", ok) for ok in (True, True, True, False)]
               + [("v1", "near", "after", ok) for ok in (True, False, False, False)]
               + [("v2", "near", "before", True)] * 4
               + [("v2", "near", "after", ok) for ok in (True, True, False, False)])
    scores = score_probe(answers)
    assert scores["subcategory_pass_rate"] == {"near": 2 / 4}
    assert scores["category_pass_rate"] == {"near": 1 / 2}


def test_benchmark_input_generator_follows_the_real_excerpt(tmp_path):
    """The throughput benchmark's AVA-shaped input: deterministic, valid, shaped like the excerpt."""
    import importlib.util

    from pipelines.core.ava import read_annotations
    from tests.conftest import REPO

    spec = importlib.util.spec_from_file_location("bench", REPO / "benchmarks/finebench_throughput.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rows = bench.make_input(tmp_path / "a.csv", 3000, 0)
    assert rows >= 3000
    assert bench.make_input(tmp_path / "b.csv", 3000, 0) == rows
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    parsed, rejects, total = read_annotations(tmp_path / "a.csv", set(range(1, 81)))
    assert total == rows and not rejects
    counts = Counter(len({r.person_id for r in parsed if (r.video_id, r.timestamp) == k})
                     for k in {(r.video_id, r.timestamp) for r in parsed})
    assert counts[1] > counts[2] > counts.get(3, 0)  # like the excerpt: mostly 1-2 persons


def test_reject_json_line_equals_json_dumps():
    import json

    for reject in (Reject("units", 'a/"b"\\c', "bad_box", "détail \n\t\x00 \u2028 ☃ \x7f"),
                   Reject("rows", "ann.csv:3", "duplicate_row")):
        assert reject.json_line() == json.dumps(reject.to_json(), sort_keys=True, ensure_ascii=False) + "\n"
    heads = [("units", "x", "é \n"), ("rows", "x", "é \n"), ("units", "y", ""), ("units", "x", "é \n")]
    mixed = [Reject(stage, f'u{i}/"{i % 3}"\\', reason, detail)
             for i, (stage, reason, detail) in enumerate(heads * 3)]
    assert jsonl_of(mixed) == "".join(r.json_line() for r in mixed) and jsonl_of([]) == ""
    ledger = Ledger()
    ledger.reject_all("units", [("u1", "x", ""), ("u2", "y", "d"), ("u3", "x", "")])
    assert ledger.stage("units").rejected == Counter({"x": 2, "y": 1})
    assert [r.unit for r in ledger.rejects] == ["u1", "u2", "u3"]


def test_sliced_writes_keep_every_byte(tmp_path, monkeypatch):
    """Files written in slices (atomic.WRITE_SLICE per call) hold exactly the data: text with
    multi-byte characters across slice bounds, bytes, and a pyarrow buffer; sizes around a slice."""
    monkeypatch.setattr(atomic, "WRITE_SLICE", 7)
    for size in (0, 6, 7, 8, 50):
        text = ("aé☃\n" * size)[:size]
        atomic.write_text(tmp_path / "t.txt", text)
        assert (tmp_path / "t.txt").read_text(encoding="utf-8") == text
        data = bytes(range(256))[:size] * 3
        atomic.write_bytes(tmp_path / "b.bin", data)
        assert (tmp_path / "b.bin").read_bytes() == data
        with atomic.atomic_open(tmp_path / "p.bin", "wb") as handle:
            atomic.write_sliced(handle, pa.py_buffer(data))
        assert (tmp_path / "p.bin").read_bytes() == data
