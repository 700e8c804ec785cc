"""finebench on the real AVA v2.2 validation excerpt: every question checked against the raw CSV.

The raw file is re-read here with the csv module, independently of the pipeline's readers, so the
checks do not trust the code under test.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest
import yaml
from scipy.stats import chisquare

from pipelines.core.referring import resolve_phrase
from pipelines.finebench.vocabulary import CATEGORIES

LETTERS = "ABCD"


@pytest.fixture(scope="module")
def raw(ava_files: dict[str, Path]):
    """(video, ts) -> person -> (box, set of actions), from the rows that parse cleanly."""
    persons: dict[tuple[str, int], dict[int, tuple[tuple[float, ...], set[int]]]] = defaultdict(dict)
    with open(ava_files["csv"], newline="") as handle:
        for row in csv.reader(handle):
            try:
                box = tuple(float(v) for v in row[2:6])
                pid = int(row[7])
            except ValueError:
                continue
            entry = persons[(row[0], int(row[1]))].setdefault(pid, (box, set()))
            entry[1].add(int(row[6]))
    return persons


@pytest.fixture(scope="module")
def action_forms():
    """Surface text -> action id, per style, from the shipped vocabulary and the real label map."""
    from tests.conftest import REPO
    actions = yaml.safe_load((REPO / "templates/finebench/actions.yaml").read_text())["actions"]
    forms: dict[str, dict[str, int]] = {s: {} for s in ("gerund", "third", "base", "label")}
    for a in actions:
        for style in ("gerund", "third", "base"):
            forms[style][a[style]] = a["id"]
        forms["label"][a["name"]] = a["id"]
    return forms, {a["id"]: a["category"] for a in actions}


def parse_option(text: str, style: str, forms: dict[str, dict[str, int]]) -> list[int]:
    """Split 'a, b and c' back into action ids (greedy over known surface forms)."""
    known = sorted(forms[style], key=len, reverse=True)
    ids, rest = [], text
    while rest:
        match = next((k for k in known if rest.startswith(k)), None)
        assert match is not None, f"cannot parse option {text!r}"
        ids.append(forms[style][match])
        rest = rest[len(match):]
        for sep in (", ", " and "):
            if rest.startswith(sep):
                rest = rest[len(sep):]
                break
    return ids


def template_styles() -> dict[str, str]:
    from tests.conftest import REPO
    styles = {}
    for category in CATEGORIES:
        for t in yaml.safe_load((REPO / f"templates/finebench/{category}.yaml").read_text())["templates"]:
            styles[t["id"]] = t["style"]
    return styles


def test_malformed_row_rejected_and_rest_built(real_build):
    rows = real_build.ledger.stages["rows"]
    assert rows.inputs == 1346
    assert rows.rejected["bad_person_id"] == 1
    assert rows.reconciles() and real_build.ledger.reconciles()
    assert real_build.manifest["reconciles"] is True
    bad = [r for r in real_build.ledger.rejects if r.reason == "bad_person_id"]
    assert bad[0].unit.endswith(":16")
    # every unit of the accepted keyframes is a question or a rejection with a reason
    units = real_build.ledger.stages["units"]
    assert units.accepted == len(real_build.records) > 300
    assert units.inputs == units.accepted + sum(units.rejected.values())
    lines = (real_build.build_dir / "rejects.jsonl").read_text().splitlines()
    assert len(lines) == sum(sum(s.rejected.values()) for s in real_build.ledger.stages.values())


@pytest.fixture(scope="module")
def per_category_build(tmp_path_factory, ava_files):
    """The published per-category form (``option_mode="per_category"``), still available."""
    from pipelines.core.executors import LocalExecutor
    from pipelines.finebench.build import FinebenchInputs, build_finebench
    from pipelines.finebench.config import FinebenchParams

    inputs = FinebenchInputs(ava_files["csv"], ava_files["labels"], ava_files["excluded"])
    return build_finebench(inputs, FinebenchParams(option_mode="per_category", blind_sample=0),
                           tmp_path_factory.mktemp("per_category"), "1.0.0", LocalExecutor(1, progress=False))


def test_exactly_one_correct_option_and_false_distractors(per_category_build, raw, action_forms):
    real_build = per_category_build
    forms, category_of = action_forms
    styles = template_styles()
    compound = 0
    for r in real_build.records:
        _, truth_all = raw[(r["video_id"], r["timestamp"])][r["person_id"]]
        style = styles[r["template_id"]]
        options = [parse_option(o, style, forms) for o in r["options"]]
        assert len(set(r["options"])) == 4
        correct = [i for i, ids in enumerate(options) if set(ids) <= truth_all
                   and set(ids) == {a for a in truth_all if category_of[a] == r["category"]}]
        assert correct == [LETTERS.index(r["answer"])], r["id"]
        assert r["options"][correct[0]] == r["answer_text"]
        assert sorted(options[correct[0]]) == sorted(r["action_ids"])
        for i, ids in enumerate(options):
            if i == correct[0]:
                continue
            assert len(ids) == len(r["action_ids"]), "distractor size differs from the truth"
            if len(ids) == 1:
                assert ids[0] not in truth_all, f"{r['id']}: distractor is an action of the person"
            else:
                assert set(ids) - truth_all, f"{r['id']}: compound distractor is not false"
        compound += r["is_compound"]
    assert compound > 20


def test_referring_phrases_resolve_to_exactly_one_person(real_build, per_category_build, raw):
    """Both option modes. The default (cross) build of the excerpt keeps no keyframe with three
    or more persons (every (phrase, action) pair is balanced, and in the excerpt's crowded scenes
    each position's person does the same few things), so the ordinal phrases are checked on the
    per-category build of the same file (and on the blocks file in test_finebench_truth.py)."""
    records = real_build.records + per_category_build.records
    for r in records:
        people = raw[(r["video_id"], r["timestamp"])]
        assert r["num_persons"] == len(people)
        centers = sorted(((b[0] + b[2]) / 2, pid) for pid, (b, _) in people.items())
        rank = resolve_phrase(r["referring_phrase"], len(people))
        assert centers[rank - 1][1] == r["person_id"], r["id"]
        neighbours = [centers[i][0] for i in (rank - 2, rank) if 0 <= i < len(centers)]
        assert all(abs(n - centers[rank - 1][0]) >= 0.03 for n in neighbours)
        assert r["person_rank"] == rank
    assert any(r["num_persons"] >= 3 for r in per_category_build.records)
    assert any(r["num_persons"] == 2 for r in real_build.records)


def test_answer_letters_balanced(real_build):
    counts = [sum(r["answer"] == letter for r in real_build.records) for letter in LETTERS]
    assert chisquare(counts).pvalue > 0.01, counts


def test_blind_baselines_reported_and_longest_option_not_a_shortcut(real_build):
    baselines = real_build.stats["blind_baselines"]
    assert set(baselines) == {"longest_option", "shortest_option", "template_answer_frequency",
                              "option_prior"}
    assert baselines["longest_option"] <= 0.30
    card = (real_build.build_dir / "README.md").read_text()
    assert "option_prior" in card and "chance" in card


def test_card_lists_only_the_template_families_the_build_drew_from(real_build, per_category_build):
    from tests.conftest import REPO

    def families(build) -> str:
        return next(x for x in (build.build_dir / "README.md").read_text().splitlines()
                    if x.startswith("| template families drawn from"))

    default_line, per_category_line = families(real_build), families(per_category_build)
    # the real excerpt: every kept unit is asked in the "none of these" family (its capped keys
    # leave room for none-keyed questions in every phrase class), and the NOT form is off
    assert "cross_none:" in default_line and "cross_not:" not in default_line
    assert "cross_" not in per_category_line
    assert all(f"{c}:" in per_category_line for c in CATEGORIES)
    # each listed family really has questions in the build
    for build, line in ((real_build, default_line), (per_category_build, per_category_line)):
        for family in [f.split(":")[0].strip() for f in line.split("|")[2].split(",")]:
            templates = yaml.safe_load((REPO / f"templates/finebench/{family}.yaml").read_text())["templates"]
            ids = {t["id"] for t in templates}
            assert any(r["template_id"] in ids for r in build.records), family
