"""Issue 8 on the real AVA files: every key and every wrong option re-derived from the raw CSV.

Default builds hold two families: direct ("which one is {person} doing?": the key true at the
keyframe, the others false in every frame shown) and "none of these" (template ids xo..: three
actions and "none of these"; either one action is the key, true at the keyframe, and the others
are false in every frame shown, or "none of these" is the key and all three actions are false in
every frame shown). The NOT form (xn.., --no-none-option --not-form) is detailed in
test_finebench_notform.py.

The raw CSV is re-read with the csv module; options are parsed back to actions through the
shipped surface forms; entailment is re-closed from the curated map here. A wrong option must be
false for that person in every frame the question shows (window truth: the person's actions at
the other keyframes inside the frame span) and must neither entail nor be entailed by any of them.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from pipelines.core.executors import LocalExecutor
from pipelines.core.referring import horizontal_overlap, resolve_phrase
from pipelines.finebench.build import FinebenchInputs, build_finebench
from pipelines.finebench.config import FinebenchParams
from tests.conftest import REPO, shared_file

LETTERS = "ABCD"


def read_raw(path: Path) -> dict[tuple[str, int], dict[int, tuple[tuple[float, ...], set[int]]]]:
    persons: dict[tuple[str, int], dict[int, tuple[tuple[float, ...], set[int]]]] = defaultdict(dict)
    with open(path, newline="") as handle:
        for row in csv.reader(handle):
            try:
                box, pid, action = tuple(float(v) for v in row[2:6]), int(row[7]), int(row[6])
            except (ValueError, IndexError):
                continue
            persons[(row[0], int(row[1]))].setdefault(pid, (box, set()))[1].add(action)
    return persons


def entailment_pairs() -> set[tuple[int, int]]:
    """(a, b): a entails b or b entails a, transitively closed, as action ids."""
    actions = yaml.safe_load((REPO / "templates/finebench/actions.yaml").read_text())["actions"]
    by_name = {a["name"]: a["id"] for a in actions}
    entails = yaml.safe_load((REPO / "similarity_maps/ava_curated.yaml").read_text())["entails"]
    implied = {by_name[k]: {by_name[x] for x in v} for k, v in entails.items()}
    for _ in range(len(implied)):
        implied = {k: v | set().union(*(implied.get(x, set()) for x in v)) for k, v in implied.items()}
    return {p for k, v in implied.items() for x in v for p in ((k, x), (x, k))}


NONE = -1  # "none of these", parsed


def option_parser():
    actions = yaml.safe_load((REPO / "templates/finebench/actions.yaml").read_text())["actions"]
    forms = {}
    for a in actions:
        for style in ("gerund", "third", "base"):
            forms[(style, a[style])] = a["id"]
        forms[("label", a["name"])] = a["id"]
    none_texts = yaml.safe_load((REPO / "templates/finebench/cross_none.yaml").read_text())["none_option"]
    forms.update({(style, text): NONE for style, text in none_texts.items()})
    styles = {}
    for pool in REPO.glob("templates/finebench/*.yaml"):
        for t in (yaml.safe_load(pool.read_text()).get("templates") or []):
            styles[t["id"]] = t["style"]
    return forms, styles, {a["id"]: a["category"] for a in actions}


@pytest.fixture(scope="module", params=["excerpt", "blocks"])
def built(request, tmp_path_factory):
    files = {"csv": shared_file("ava", f"ava_val_v2.2_{request.param}.csv"),
             "labels": shared_file("ava", "ava_action_list_v2.2.pbtxt"),
             "excluded": shared_file("ava", "ava_val_excluded_timestamps_v2.2.csv")}
    result = build_finebench(FinebenchInputs(files["csv"], files["labels"], files["excluded"]),
                             FinebenchParams(blind_sample=0), tmp_path_factory.mktemp(request.param), "1.0.0",
                             LocalExecutor(1, progress=False))
    return result, read_raw(files["csv"])


def test_every_key_true_and_every_wrong_option_false_in_the_window(built):
    result, raw = built
    forms, styles, category_of = option_parser()
    entailed = entailment_pairs()
    times = FinebenchParams().frames.times(0.0)
    deltas = range(math.ceil(min(times)), math.floor(max(times)) + 1)
    checked_window = 0
    family = {"action": 0, "none": 0}
    for r in result.records:
        style = styles[r["template_id"]]
        ids = [forms[(style, o)] for o in r["options"]]  # cross mode: one action per option
        key = ids[LETTERS.index(r["answer"])]
        here = raw[(r["video_id"], r["timestamp"])][r["person_id"]][1]
        assert r["action_ids"] == ([] if key == NONE else [key])
        assert r["answer_text"] == r["options"][LETTERS.index(r["answer"])]
        shown = set()
        for d in deltas:
            person = raw.get((r["video_id"], r["timestamp"] + d), {}).get(r["person_id"])
            shown |= person[1] if person else set()
        assert len(set(ids)) == 4
        assert (NONE in ids) == r["template_id"].startswith("xo"), r["id"]  # only the family offers it
        if NONE in ids:
            family["none" if key == NONE else "action"] += 1
        if key != NONE:
            assert key in here and category_of[key] == r["category"], r["id"]
        checked_window += bool(shown - here)
        for wrong in (a for a in ids if a not in (key, NONE)):
            assert wrong not in shown, f"{r['id']}: wrong option {wrong} true in a frame shown"
            assert not any((wrong, a) in entailed for a in shown), f"{r['id']}: {wrong} entailed"
    assert checked_window > 20  # the window rule had work to do
    # capped units kept none-keyed, and "none of these" the key in about a quarter of its questions
    assert family["none"] >= 10 and 0.15 < family["none"] / (family["none"] + family["action"]) < 0.35, family


def test_no_target_nested_in_or_mostly_overlapping_a_neighbour(built):
    result, raw = built
    for r in result.records:
        people = raw[(r["video_id"], r["timestamp"])]
        box = people[r["person_id"]][0]
        for pid, (other, _) in people.items():
            if pid != r["person_id"]:
                assert horizontal_overlap(box, other) <= 0.8, r["id"]
    reasons = [j for j in result.ledger.rejects if j.reason == "ambiguous_reference"]
    assert reasons and all("overlap" in j.detail for j in reasons)


def test_every_phrase_and_action_is_the_key_about_a_quarter_of_its_showings(built):
    """The blind model crosses the question's words with the option's; neighbouring keyframes keep
    the same person, phrase and actions, so each (referring phrase, action) pair must be the key
    about a quarter of the times it is shown (balanced per action only, the real files gave
    chi-square / cell 3.6-3.7 here and a keyframe-split blind model 31-34%). The statistic is
    (key count - showings / 4)^2 / (showings * 3/16) summed over cells shown at least 8 times."""
    result, _ = built
    forms, styles, _ = option_parser()
    shown: dict[tuple[str, int], int] = defaultdict(int)
    keyed: dict[tuple[str, int], int] = defaultdict(int)
    for r in result.records:
        style = styles[r["template_id"]]
        for index, option in enumerate(r["options"]):
            cell = (r["referring_phrase"], forms[(style, option)])
            shown[cell] += 1
            keyed[cell] += LETTERS.index(r["answer"]) == index
    cells = [c for c, n in shown.items() if n >= 8]
    chi2 = sum((keyed[c] - shown[c] / 4) ** 2 / (shown[c] * 3 / 16) for c in cells)
    assert len(cells) >= 20 and chi2 / len(cells) < 1.0, chi2 / len(cells)
    for c in cells:  # no cell far from a quarter (a binomial's +-4 standard deviations)
        assert abs(keyed[c] - shown[c] / 4) <= 4 * math.sqrt(shown[c] * 3 / 16) + 1, c


def test_phrases_name_the_person_on_both_files(built, request):
    """Every referring phrase designates the question's person by box centre; the blocks file keeps
    keyframes with three and more persons (ordinal phrases) in the default build."""
    result, raw = built
    for r in result.records:
        people = raw[(r["video_id"], r["timestamp"])]
        centers = sorted(((b[0] + b[2]) / 2, pid) for pid, (b, _) in people.items())
        assert r["num_persons"] == len(people)
        assert centers[resolve_phrase(r["referring_phrase"], len(people)) - 1][1] == r["person_id"], r["id"]
    if "blocks" in request.node.callspec.id:
        assert sum(r["num_persons"] >= 3 for r in result.records) > 100
