"""The column-wise building blocks agree with their one-at-a-time definitions.

- the column reader returns exactly the row reader's rows and rejections (real excerpt and
  hostile files: BOM, CRLF, blank lines, quotes, stray whitespace, non-ASCII digits, ...);
- vectorised unit streams equal ``UnitRng`` draw for draw;
- weighted draws without replacement are distinct, never pick a zero weight, and follow the weights;
- vectorised referring ranks equal ``rank_people`` keyframe by keyframe;
- the scalar fallback (tier c) keeps the hard rules when tiers (a)+(b) run dry.
"""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import chisquare

from pipelines.core import ava
from pipelines.core.ava_columns import columns_from_rows, read_annotation_columns
from pipelines.core.referring import rank_people, rank_people_columns
from pipelines.core.rng import UnitRng, derive_seed
from pipelines.finebench.draws import draw_without_replacement, unit_seeds, unit_uniforms
from pipelines.finebench.keyframes import group_keyframes

KNOWN = set(range(1, 81))
CLEAN = ["vidA,0902,0.100,0.100,0.400,0.900,12,0", "vidA,0902,0.600,0.100,0.900,0.900,11,1",
         "vid-B,1000,0.2,0.1,0.5,0.9,80,3", "vidA,0903,.5,0.1,1,1.0,14,2"]


def assert_same_reading(path: Path) -> None:
    rows, rejects, total = ava.read_annotations(path, KNOWN)
    columns, column_rejects, column_total = read_annotation_columns(path, KNOWN)
    expected = columns_from_rows(rows)
    assert column_total == total
    assert sorted(column_rejects, key=lambda r: r.line) == sorted(rejects, key=lambda r: r.line)
    order = np.argsort(columns.line, kind="stable")
    assert columns.video_ids == expected.video_ids
    for name in ("video", "timestamp", "box", "action", "person", "line"):
        assert np.array_equal(getattr(columns, name)[order], getattr(expected, name)), name


def test_column_reader_equals_row_reader_on_the_real_excerpt(ava_files):
    assert_same_reading(ava_files["csv"])


@pytest.mark.parametrize("content", [
    "\n".join(CLEAN) + "\n",
    "video_id,timestamp,x1,y1,x2,y2,action_id,person_id\n" + "\n".join(CLEAN),  # header, no final \n
    "\ufeff" + "\r\n".join(CLEAN) + "\r\n",  # BOM + CRLF
    "\n".join(CLEAN[:2]) + "\n\n   \n" + "\n".join(CLEAN[2:]),  # blank lines
    "\n".join(CLEAN) + '\n"vidA",0904,0.1,0.1,0.4,0.9,12,0\n',  # quoted field
    "\n".join(CLEAN) + "\nvidA, 0904,0.1,0.1,0.4,0.9,12,0\nvidA,0905,0.1,0.1,0.4,0.9,1²,0\n",
    "\n".join(CLEAN) + "\nvidA,0904,0.1,0.1,0.4,0.9,12\nvidA,0904,1e-1,0.1,0.4,0.9,12,0\n",
    "\n".join(CLEAN) + "\nvidA,0904,-0.1,0.1,0.4,0.9,12,0\nvidA,0904,0.1,0.1,0.4,0.9,99,0\n"
    "vid A,0904,0.1,0.1,0.4,0.9,12,0\nvidA,1234567890,0.1,0.1,0.4,0.9,12,0\nvidA,0904,0.1,0.1,0.4,0.9,12,x\n",
    "\n".join(CLEAN) + "\nvidA,0906,0.4,0.1,0.4,0.9,12,0\nvidA,0906,0.3,0.1,0.4,nan,12,0\n",
])
def test_column_reader_equals_row_reader_on_hostile_files(tmp_path, content):
    path = tmp_path / "ann.csv"
    path.write_bytes(content.encode())
    assert_same_reading(path)


def test_column_reader_file_errors_match(tmp_path):
    for content in ("", "a,b,c\n", "video_id,timestamp,x1,y1,x2,y2,action_id,person_id\n"):
        path = tmp_path / "bad.csv"
        path.write_text(content)
        with pytest.raises(ava.InputError) as row_error:
            ava.read_annotations(path, KNOWN)
        with pytest.raises(ava.InputError) as column_error:
            read_annotation_columns(path, KNOWN)
        assert str(column_error.value) == str(row_error.value)


def test_unit_streams_equal_unit_rng():
    keys = [f"vid/{t:04d}/{p}/person_movement" for t in range(900, 960) for p in range(3)]
    seeds = unit_seeds(11, keys)
    assert seeds.tolist() == [derive_seed(11, k) for k in keys]
    draws = unit_uniforms(seeds, 6)
    for key, row in zip(keys, draws, strict=True):
        rng = UnitRng(11, key)
        assert row.tolist() == [rng.random() for _ in range(6)]


def test_weighted_draws_are_distinct_and_follow_the_weights():
    weights = np.array([[0, 5, 1, 0, 10, 4, 0, 20]] * 40_000, dtype=np.int64)
    keys = [f"u{i}" for i in range(len(weights))]
    picked = draw_without_replacement(weights, unit_uniforms(unit_seeds(0, keys), 3))
    assert all(len(set(row)) == 3 for row in picked.tolist())
    assert not np.isin(picked, [0, 3, 6]).any()
    first = Counter(picked[:, 0].tolist())
    observed = [first.get(c, 0) for c in (1, 2, 4, 5, 7)]
    expected = np.array([5, 1, 10, 4, 20]) / 40 * len(weights)
    assert chisquare(observed, expected).pvalue > 0.001
    # second draw given the first was column 7: weights 5, 1, 10, 4 among the rest
    second = Counter(picked[picked[:, 0] == 7, 1].tolist())
    total = sum(second.values())
    assert chisquare([second.get(c, 0) for c in (1, 2, 4, 5)],
                     np.array([5, 1, 10, 4]) / 20 * total).pvalue > 0.001



def _draws_one_row_at_a_time(weights: np.ndarray, uniforms: np.ndarray) -> list[list[int]]:
    """The draws' definition, row by row: the running sums of the weights not yet drawn are
    recomputed for every draw; the point ``min(floor(u * total), total - 1)`` picks the column after
    the last running sum <= point (column 0 for a row with nothing left)."""
    picked = []
    for row, draws in zip(weights.tolist(), uniforms.tolist(), strict=True):
        left, chosen = list(row), []
        for u in draws:
            total = sum(left)
            point = min(int(u * total), total - 1)
            chosen.append(sum(1 for running in itertools.accumulate(left) if running <= point))
            left[chosen[-1]] = 0
        picked.append(chosen)
    return picked


def test_weighted_draws_equal_recomputing_the_sums_every_draw():
    """The one-pass draw (sums once, point moved past the drawn columns) picks exactly what the
    definition picks, on integer weights with zeros, ties, huge and tiny weights, and rows with
    fewer positive weights than draws."""
    keys = [f"w{i}" for i in range(3000)]
    streams = unit_uniforms(unit_seeds(5, keys), 8)
    width = 9
    columns = (streams[:, :width - 5] * 4).astype(np.int64)  # 0..3 for the first columns
    weights = np.concatenate([columns, (streams[:, 3:8] * 3).astype(np.int64) ** 6], axis=1)
    weights[::7] = 0
    weights[1::7, 2:] = 0
    uniforms = unit_uniforms(unit_seeds(6, keys), 3)
    assert draw_without_replacement(weights, uniforms).tolist() == _draws_one_row_at_a_time(weights, uniforms)
    assert (weights > 0).sum(axis=1).min() == 0 and (weights > 0).sum(axis=1).max() == width
    # weights so large that the rows' offset sums would overflow int64: drawn in turn instead
    huge = weights * 10**15
    assert len(huge) * int(huge.sum(axis=1).max()) >= 1 << 62
    assert draw_without_replacement(huge, uniforms).tolist() == _draws_one_row_at_a_time(huge, uniforms)


def test_vectorised_ranks_equal_rank_people(ava_files):
    rows, rejects, _ = read_annotation_columns(ava_files["csv"], KNOWN)
    persons, _ = group_keyframes(rows, rejects, set())
    for gap in (0.0, 0.03, 0.2):
        ranks, clear, counts = rank_people_columns(persons, gap)
        key = persons.video * (1 << 31) + persons.timestamp
        for frame in np.unique(key):
            rows_of_frame = np.flatnonzero(key == frame)
            expected = rank_people([tuple(b) for b in persons.box[rows_of_frame].tolist()], gap)
            assert list(zip(ranks[rows_of_frame].tolist(), clear[rows_of_frame].tolist(), strict=True)) \
                == expected
            assert set(counts[rows_of_frame].tolist()) == {len(rows_of_frame)}


def test_fallback_uses_tier_c_and_keeps_the_hard_rules(ava_files):
    from pipelines.finebench.config import FinebenchParams
    from pipelines.finebench.context import make_context
    from pipelines.finebench.fallback import fallback_wrong_options
    from pipelines.finebench.units import build_units
    from pipelines.finebench.vocabulary import load_vocabulary

    labels = ava.read_label_map(ava_files["labels"])
    vocab = load_vocabulary(labels)
    rows, rejects, _ = read_annotation_columns(ava_files["csv"], KNOWN)
    persons, _ = group_keyframes(rows, rejects, set())
    context = make_context(vocab, FinebenchParams(option_mode="per_category"), build_units(persons, vocab),
                           persons)
    movement = vocab.by_category["person_movement"]
    truth = movement[0]
    # The person also does every other movement action (and their similar actions) in this unit's
    # world, so tiers (a) and (b) are empty and the draw must come from the whole vocabulary.
    person_actions = tuple(sorted(set(movement) | set(vocab.similar.get(truth, ()))))
    options = fallback_wrong_options(context, "v/0902/0/person_movement", (truth,), person_actions,
                                     "person_movement")
    assert options is not None and len({ids for ids, _ in options}) == 3
    forbidden = set(person_actions).union(*(vocab.incompatible.get(a, ()) for a in person_actions))
    assert all(tier == "c" and not set(ids) & forbidden for ids, tier in options)


def test_units_are_the_persons_category_answers(ava_files):
    from pipelines.finebench.units import build_units
    from pipelines.finebench.vocabulary import CATEGORIES, load_vocabulary

    vocab = load_vocabulary(ava.read_label_map(ava_files["labels"]))
    rows, rejects, _ = read_annotation_columns(ava_files["csv"], KNOWN)
    persons, _ = group_keyframes(rows, rejects, set())
    units = build_units(persons, vocab)
    expected = []
    for i in range(len(persons)):
        actions = persons.action_ids[persons.action_offsets[i]:persons.action_offsets[i + 1]].tolist()
        for c, category in enumerate(CATEGORIES):
            truth = tuple(a for a in actions if vocab.actions[a].category == category)
            if truth:
                expected.append((i, c, truth))
    got = [(p, c, units.answers[a]) for p, c, a in zip(units.person.tolist(), units.category.tolist(),
                                                        units.answer.tolist(), strict=True)]
    assert got == expected
    assert len(set(units.answers)) == len(units.answers)
    assert sum(units.counts().values()) == len(expected)


def test_box_hints_format_like_python():
    from pipelines.finebench.columns import box_hints

    values = [0.0, 1.0, 0.0005, 0.0015, 0.1235, 0.9995, 0.12345, 0.333, 0.1, 0.7004999, 0.2500001, 0.5]
    rng = np.random.default_rng(0)
    boxes = np.array(values + rng.random(400).tolist(), dtype=np.float64)[:408].reshape(-1, 4)
    expected = ["Pay attention to the region [{:.3f}, {:.3f}, {:.3f}, {:.3f}] in the target frame.".format(*b)
                for b in boxes.tolist()]
    assert box_hints(boxes).to_pylist() == expected



def test_dense_unique_equals_np_unique():
    from pipelines.finebench.columns import dense_unique

    rng = np.random.default_rng(3)
    for size, n in ((1, 0), (1, 5), (7, 3), (50, 400), (5000, 120)):
        values = rng.integers(0, size, n)
        used, inverse = dense_unique(values, size)
        expected_used, expected_inverse = np.unique(values, return_inverse=True)
        assert used.tolist() == expected_used.tolist() and inverse.tolist() == expected_inverse.tolist()


def test_unit_keys_and_seeds_column_wise(ava_files):
    from pipelines.finebench.columns import unit_keys, video_inputs
    from pipelines.finebench.questions import unit_key
    from pipelines.finebench.units import build_units
    from pipelines.finebench.vocabulary import CATEGORIES, load_vocabulary

    vocab = load_vocabulary(ava.read_label_map(ava_files["labels"]))
    rows, rejects, _ = read_annotation_columns(ava_files["csv"], KNOWN)
    persons, _ = group_keyframes(rows, rejects, set())
    video = video_inputs(persons, build_units(persons, vocab))[0]
    expected = [unit_key(video.video_id, int(video.timestamp[p]), int(video.person_id[p]), CATEGORIES[c])
                for p, c in zip(video.unit_person, video.unit_category, strict=True)]
    keys = unit_keys(video)
    assert keys.to_pylist() == expected
    assert unit_seeds(5, keys).tolist() == [derive_seed(5, k) for k in expected]
    assert unit_seeds(5, keys.slice(3, 7)).tolist() == [derive_seed(5, k) for k in expected[3:10]]
