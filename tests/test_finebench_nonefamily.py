"""The "none of these" family (noneplan.py, noneform.py): the default builds of both real AVA
files meet issue 8's three figures, "none of these" is the key in about a quarter of its
questions for every kind of referring phrase, and it cannot be combined with the NOT form."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pydantic
import pytest

from pipelines.core.executors import LocalExecutor
from pipelines.finebench.build import FinebenchInputs, build_finebench
from pipelines.finebench.config import FinebenchParams
from tests.conftest import shared_file


@pytest.fixture(scope="module", params=["excerpt", "blocks"])
def default_build(request, tmp_path_factory):
    files = ("ava_action_list_v2.2.pbtxt", "ava_val_excluded_timestamps_v2.2.csv")
    inputs = FinebenchInputs(shared_file("ava", f"ava_val_v2.2_{request.param}.csv"),
                             *(shared_file("ava", f) for f in files))
    return build_finebench(inputs, FinebenchParams(), tmp_path_factory.mktemp(request.param), "1.0.0",
                           LocalExecutor(1, progress=False))


def test_default_builds_meet_blind_kept_and_shares(default_build):
    figures = default_build.stats["acceptance"]
    assert figures["blind_ok"] and figures["kept_ok"] and figures["shares_ok"], figures
    assert default_build.stats["none_keyed"] >= 50  # the family does the work


def test_none_of_these_is_the_key_in_about_a_quarter_per_phrase(default_build):
    shown, keyed = Counter(), Counter()
    for r in default_build.records:
        if r["template_id"].startswith("xo"):
            shown[r["referring_phrase"]] += 1
            keyed[r["referring_phrase"]] += not r["action_ids"]
    assert sum(keyed.values()) == default_build.stats["none_keyed"]
    for r in default_build.records:  # tier n marks "none of these" shown wrong; no key, no tier a
        tiers = r["distractor_tiers"]
        assert tiers.count("n") == (1 if r["template_id"].startswith("xo") and r["action_ids"] else 0)
        assert r["action_ids"] or "a" not in tiers, r["id"]
    for phrase, n in shown.items():
        if n >= 40:  # a binomial's +-4 standard deviations around a quarter
            assert abs(keyed[phrase] / n - 0.25) <= 4 * (0.1875 / n) ** 0.5, (phrase, keyed[phrase], n)


def test_none_option_and_not_form_are_exclusive():
    with pytest.raises(pydantic.ValidationError, match="cannot both be on"):
        FinebenchParams(not_form=True)
    assert FinebenchParams(none_option=False, not_form=True).not_form


def test_none_keyed_units_come_from_capped_non_hosts_first_within_a_third_of_the_kept():
    from pipelines.finebench.noneplan import none_keyed, none_share

    # one phrase class, two actions; action 0 is capped to half, action 1 is not capped
    chance = np.array([[1.0, 0.0]] * 4 + [[0.0, 1.0]] * 2)
    keep_key = np.array([[0.5, 1.0]])
    cell = np.zeros(6, dtype=np.int64)
    host = np.array([1, 1, 0, 0, 0, 0])  # the first two persons do the scarcest action
    kept = (chance * keep_key[cell]).sum(axis=1)  # 0.5 x 4 + 1 x 2 = 4 kept with a true key
    none_keep, none_pre, none_mass = none_keyed(chance, keep_key, cell, host, kept, np.ones(6), 1 / 3, 1)
    # room 4/3; capped mass: non-hosts 2 x 0.5 = 1 (all taken), hosts 1 (a third taken)
    assert none_keep[0] == pytest.approx([1.0, 1 / 3])
    assert none_pre == pytest.approx([1 / 6, 1 / 6, 0.5, 0.5, 0.0, 0.0])
    assert none_pre.sum() == pytest.approx(kept.sum() / 3)  # "none of these" a quarter of the family
    assert none_mass == pytest.approx(none_pre)  # no share repair here (class_keep 1)
    # three action-keyed questions per none-keyed one: all 4 kept units move to the family
    assert none_share(kept, none_pre, cell, 1 / 3, 1) == pytest.approx([1.0])
    assert none_share(kept, none_pre / 2, cell, 1 / 3, 1) == pytest.approx([0.5])
    # no cap (max key ratio 1): nothing is none-keyed
    assert not none_keyed(chance, keep_key, cell, host, kept, np.ones(6), np.inf, 1)[1].any()


def test_the_shared_answer_parser_reads_none_of_these_replies(default_build):
    """The exported scorers (core/answers.py) must credit a model that says "none of these" in its
    own words, whatever the template's option style."""
    from pipelines.core.answers import parse_choice

    rows = [r for r in default_build.records if r["template_id"].startswith("xo")]
    assert {r["template_id"] for r in rows if not r["action_ids"]} >= {"xo04", "xo08"}  # third, label
    for r in rows:
        letter = "ABCD"[[o.lower() for o in r["options"]].index("none of these")]
        for reply in ("None of these.", "none of these", "The answer is: none of these",
                      f"{letter}. None of these"):
            assert parse_choice(reply, r["options"]) == letter, (r["id"], reply)


def test_two_workers_give_the_same_bytes_on_the_real_file(default_build, request, tmp_path):
    name = request.node.callspec.id
    files = ("ava_action_list_v2.2.pbtxt", "ava_val_excluded_timestamps_v2.2.csv")
    inputs = FinebenchInputs(shared_file("ava", f"ava_val_v2.2_{name}.csv"),
                             *(shared_file("ava", f) for f in files))
    two = build_finebench(inputs, FinebenchParams(), tmp_path, "1.0.0", LocalExecutor(2, progress=False))
    one = default_build.build_dir
    one_files = [*sorted(one.glob("data/*/*.parquet")), one / "rejects.jsonl"]
    assert len(one_files) >= 3
    for path in one_files:
        other = two.build_dir / path.relative_to(one)
        assert other.read_bytes() == path.read_bytes(), path.name
