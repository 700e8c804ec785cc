"""The NOT form (``--not-form``) on the real AVA files, re-derived from the raw CSV.

A NOT question ("which one is {person} NOT doing?", template ids xn..) shows three actions true
for the person at the target keyframe and one key the person does in none of the frames shown,
neither entailing nor entailed by anything the person does there; never two poses (AVA's
person-movement actions, exactly one per person), never two true options that entail each other.
"""

from __future__ import annotations

import hashlib
import math
from itertools import combinations

import numpy as np
import pytest

from pipelines.core.executors import LocalExecutor
from pipelines.finebench.build import FinebenchInputs, build_finebench
from pipelines.finebench.config import FinebenchParams
from pipelines.finebench.notplan import admissible_keys, donors, eligible, other_trues
from tests.conftest import shared_file
from tests.test_finebench_truth import LETTERS, entailment_pairs, option_parser, read_raw

POSE = "person_movement"


def _inputs(name: str) -> FinebenchInputs:
    return FinebenchInputs(shared_file("ava", f"ava_val_v2.2_{name}.csv"),
                           shared_file("ava", "ava_action_list_v2.2.pbtxt"),
                           shared_file("ava", "ava_val_excluded_timestamps_v2.2.csv"))


@pytest.fixture(scope="module", params=["excerpt", "blocks"])
def built_not(request, tmp_path_factory):
    inputs = _inputs(request.param)
    result = build_finebench(inputs, FinebenchParams(blind_sample=0, none_option=False, not_form=True),
                             tmp_path_factory.mktemp(request.param), "1.0.0",
                             LocalExecutor(1, progress=False))
    return result, read_raw(inputs.annotations)


def _shown(raw, record) -> set[int]:
    times = FinebenchParams().frames.times(0.0)
    shown: set[int] = set()
    for d in range(math.ceil(min(times)), math.floor(max(times)) + 1):
        person = raw.get((record["video_id"], record["timestamp"] + d), {}).get(record["person_id"])
        shown |= person[1] if person else set()
    return shown


def test_not_questions_show_three_true_actions_and_one_false_key(built_not):
    result, raw = built_not
    forms, styles, category_of = option_parser()
    entailed = entailment_pairs()
    nots = [r for r in result.records if r["template_id"].startswith("xn")]
    assert len(nots) >= 10, len(nots)  # the form had work to do (21 on the excerpt, 16 on blocks)
    for r in nots:
        ids = [forms[(styles[r["template_id"]], o)] for o in r["options"]]
        key = ids[LETTERS.index(r["answer"])]
        trues = [a for a in ids if a != key]
        here = raw[(r["video_id"], r["timestamp"])][r["person_id"]][1]
        shown = _shown(raw, r)
        assert len(set(ids)) == 4 and r["action_ids"] == [key], r["id"]
        assert key not in shown and not any((key, a) in entailed for a in shown), r["id"]
        assert all(a in here for a in trues), r["id"]
        assert not any((a, b) in entailed for a, b in combinations(trues, 2)), r["id"]
        assert sum(category_of[a] == POSE for a in ids) <= 1, r["id"]
        assert any(category_of[a] == r["category"] for a in trues), r["id"]
        assert r["distractor_tiers"] == ["t", "t", "t"]


def test_direct_questions_of_a_not_form_build_keep_their_rules(built_not):
    result, raw = built_not
    forms, styles, category_of = option_parser()
    entailed = entailment_pairs()
    direct = [r for r in result.records if r["template_id"].startswith("xc")]
    assert len(direct) > 100
    for r in direct:
        ids = [forms[(styles[r["template_id"]], o)] for o in r["options"]]
        key = ids[LETTERS.index(r["answer"])]
        here = raw[(r["video_id"], r["timestamp"])][r["person_id"]][1]
        assert key in here and category_of[key] == r["category"], r["id"]
        shown = _shown(raw, r)
        for wrong in (a for a in ids if a != key):
            assert wrong not in shown and not any((wrong, a) in entailed for a in shown), r["id"]


def test_every_unit_is_a_question_or_a_reasoned_rejection(built_not):
    result, _ = built_not
    units = result.ledger.stages["units"]
    rejected = [j for j in result.ledger.rejects if j.stage == "units"]
    assert rejected and all(j.reason for j in rejected) and result.ledger.reconciles()
    assert units.inputs == len(result.records) + len(rejected)


def test_not_form_builds_are_identical_with_one_and_two_workers(tmp_path):
    inputs = _inputs("excerpt")
    params = FinebenchParams(blind_sample=0, none_option=False, not_form=True)
    digests = []
    for workers in (1, 2):
        result = build_finebench(inputs, params, tmp_path / str(workers), "1.0.0",
                                 LocalExecutor(workers, progress=False))
        shards = sorted((result.build_dir / "data").rglob("*.parquet"))
        assert shards
        digests.append([hashlib.sha256(p.read_bytes()).hexdigest() for p in shards])
    assert digests[0] == digests[1]


def test_true_options_never_hold_two_poses_or_an_entailed_pair():
    """Hand-made: actions 0-1 poses, 2-5 others; 3 entails 4 (forbid is symmetric with identity)."""
    pose = np.array([1, 1, 0, 0, 0, 0], dtype=bool)
    forbid = np.eye(6, dtype=bool)
    forbid[3, 4] = forbid[4, 3] = True
    actions = np.array([[1, 1, 1, 1, 0, 0],   # own 2 (non-pose), others: two poses and 3
                        [1, 0, 1, 1, 1, 1],   # own 0 (pose): others 2, 3, 4, 5 minus nothing
                        [1, 0, 1, 1, 1, 0],   # own 3: 4 is entailed, others 2 and the pose 0
                        [0, 1, 1, 1, 1, 1]], dtype=bool)  # own 2: three non-pose others, pose left out
    own = np.array([2, 0, 3, 2])
    other = other_trues(actions, own, forbid, pose)
    assert not other[1, :2].any() and not other[2, 4] and other[2, 0] and not other[3, 1]
    assert list(eligible(other, pose)) == [False, True, True, True]  # row 0: two poses
    assert list(donors(own, other, pose)) == [False, False, False, True]
    keys = admissible_keys(actions, np.ones(6, dtype=bool), pose, np.array([False, True, True, False]))
    assert keys[3, 0] and not keys[3, 1] and not keys[2, 1] and not keys[1].any()


def test_a_not_form_build_reports_blind_kept_and_shares(tmp_path):
    """The three acceptance figures of a NOT-form build (seed 0, excerpt), with the core blind
    model run on every question: the NOT form is visible to it through the question's words."""
    result = build_finebench(_inputs("excerpt"), FinebenchParams(none_option=False, not_form=True), tmp_path,
                             "1.0.0", LocalExecutor(1, progress=False))
    figures = result.stats["acceptance"]
    assert figures["blind_best"] == result.stats["blind"]["best"] and figures["blind_ok"]
    assert figures["kept"] == len(result.records) / figures["units_offered"]
    assert figures["shares_ok"] and figures["largest_share_gap"] <= 0.05
    assert any(r["template_id"].startswith("xn") for r in result.records)
