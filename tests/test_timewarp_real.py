"""timewarp on the 101 real FineVideo metadata files: accounting and order invariants.

Event orders are recomputed here from the raw JSON and the recorded ``scene_order`` (not with the
pipeline's own ``perturb`` helpers), so the checks do not trust the code under test.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from pathlib import Path

import pytest
from scipy.stats import chisquare

from pipelines.core.finevideo import parse_timestamp, read_metadata
from pipelines.timewarp.config import TimewarpParams
from pipelines.timewarp.units import process_video
from tests.conftest import SHARED_DATA

FINEVIDEO = SHARED_DATA / "finevideo"


@pytest.fixture(scope="module")
def outputs():
    if not FINEVIDEO.is_dir():
        raise FileNotFoundError(f"{FINEVIDEO} is missing")
    return [process_video(TimewarpParams(), meta) for meta in read_metadata(FINEVIDEO)]


def raw_sequence(path: Path, scenes, order: list[int]) -> list[str]:
    """Activity descriptions in play order for ``order``, straight from the raw file."""
    data = json.loads(path.read_text())
    raw_scenes = data["content_metadata"]["scenes"]
    offsets, position = {}, 0.0
    for index in order:
        offsets[index] = position
        position += scenes[index].end - scenes[index].start
    texts = [" ".join(a["description"].lower().strip().rstrip(".").split())
             for index in range(len(scenes)) for a in raw_scenes[index].get("activities") or []]
    stamps = [parse_timestamp((a.get("timestamp") or {}).get("start_timestamp"))
              for index in range(len(scenes)) for a in raw_scenes[index].get("activities") or []]
    timed = []
    for index, scene in enumerate(scenes):
        found = False
        for activity in raw_scenes[index].get("activities") or []:
            start = parse_timestamp((activity.get("timestamp") or {}).get("start_timestamp"))
            text = " ".join(activity["description"].lower().strip().rstrip(".").split())
            if (start is not None and scene.start <= start < scene.end and texts.count(text) == 1
                    and stamps.count(start) == 1):
                timed.append((offsets[index] + start - scene.start,
                              activity["description"].strip().rstrip(".")))
                found = True
        if not found:
            timed.append((offsets[index], raw_scenes[index]["title"].strip().rstrip(".")))
    return [text for _, text in sorted(timed)]


def test_every_file_accounted(outputs):
    assert len(outputs) == len(list(FINEVIDEO.glob("*.json"))) == 101
    kept = [o for o in outputs if o.trimmed is not None]
    rejected = [r for o in outputs for r in o.rejects if r[0] == "videos"]
    assert len(kept) + len(rejected) == 101
    assert {r[2] for r in rejected} <= {"too_few_scenes", "bad_timestamps", "missing_timestamps",
                                        "no_scenes", "no_metadata", "invalid_json", "missing_text"}
    assert len(kept) >= 40 and Counter(r[2] for r in rejected)["too_few_scenes"] >= 30
    for o in kept:
        assert len(o.trimmed.scenes) >= 2 and o.trimmed.clip_end <= 105.0
        bounds = [(s.start, s.end) for s in o.trimmed.scenes]
        assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds)), "scenes must tile"


def test_perturbed_orders(outputs):
    for o in outputs:
        if o.trimmed is None:
            continue
        n = len(o.trimmed.scenes)
        assert o.orders["normal"] == tuple(range(n))
        assert o.orders["reversed"] == tuple(reversed(range(n)))
        assert o.orders["shuffled"] != o.orders["normal"]
        assert sorted(o.orders["shuffled"]) == list(range(n))
        if n >= 3:
            assert o.orders["shuffled"] != o.orders["reversed"]


def test_dpo_pairs_differ_and_kto_groups_complete(outputs):
    pairs = [r for o in outputs for r in o.records["dpo"]]
    assert len(pairs) > 50
    assert all(r["chosen"] != r["rejected"] for r in pairs)
    kto = [r for o in outputs for r in o.records["kto"]]
    groups: dict[str, list[dict]] = {}
    for r in kto:
        groups.setdefault(r["pair_id"], []).append(r)
    assert set(groups) == {r["id"] for r in pairs}
    for pair in pairs:
        group = {(r["video_variant"], r["completion"], r["label"]) for r in groups[pair["id"]]}
        kind = pair["perturbation"]
        assert group == {("normal", pair["chosen"], True), ("normal", pair["rejected"], False),
                         (kind, pair["rejected"], True), (kind, pair["chosen"], False)}
    dropped = sum(1 for o in outputs for r in o.rejects if r[2] == "order_insensitive")
    asked = sum(o.stage_inputs.get("qa_pairs", 0) for o in outputs)
    assert asked == len(pairs) + dropped


def test_timewar_one_correct_option_and_shuffled_answers_follow_shuffled_order(outputs):
    checked = 0
    for o in outputs:
        if not o.records["timewar_normal"]:
            continue
        path = next(p for p in FINEVIDEO.glob("*.json") if json.loads(p.read_text()).get(
            "original_video_filename", "").startswith(o.video_id))
        for normal, shuffled in zip(o.records["timewar_normal"], o.records["timewar_shuffled"], strict=True):
            assert normal["options"] == shuffled["options"] and len(set(normal["options"])) == 4
            for record in (normal, shuffled):
                order = list(record["scene_order"])
                sequence = raw_sequence(path, o.trimmed.scenes, order)
                kind = record["question_kind"]
                if kind == "first":
                    expected = sequence[0]
                elif kind == "last":
                    expected = sequence[-1]
                else:
                    anchor = record["question"].split('"')[1]
                    position = [e.rstrip(".") for e in sequence].index(anchor)
                    expected = sequence[position + (1 if kind == "after" else -1)]
                correct = [i for i, opt in enumerate(record["options"]) if opt == expected]
                assert correct == ["ABCD".index(record["answer"])], record["id"]
            assert normal["answer_text"] != shuffled["answer_text"]
            checked += 1
    assert checked > 30
    letters = Counter(r["answer"] for o in outputs for r in o.records["timewar_normal"])
    assert chisquare([letters[k] for k in "ABCD"]).pvalue > 0.01, letters


def test_ordering_probe_statements(outputs):
    for o in outputs:
        rows = o.records["ordering_probe"]
        if not rows:
            continue
        assert len(rows) % 4 == 0
        for group in (rows[i:i + 4] for i in range(0, len(rows), 4)):
            assert [r["answer"] for r in group] == ["yes", "no", "yes", "no"]
            assert len({(r["distance"], r["side"]) for r in group}) == 1
            assert group[0]["gap_seconds"] > 0
        assert {r["distance"] for r in rows} >= {"near"}
