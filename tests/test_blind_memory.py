"""The text-only checks' memory bounds (core/blindrows.py, timewarp/separability.py) on the 101 real
FineVideo files: the matrix built without copies is the one the plain way builds, the spilled
rows read back are the rows sliced, and the timewarp sample stays within its feature budget while
being the same keyed sample whichever way the rows arrive."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.core import blind, blindrows
from pipelines.core.blind import BinaryItem, feature_count, sample_rank
from pipelines.core.blindrows import SpilledRows, hashed_rows, row_classes
from pipelines.core.finevideo import read_metadata
from pipelines.core.reservoir import within_budget
from pipelines.timewarp import separability
from pipelines.timewarp.config import TimewarpParams
from pipelines.timewarp.units import CONFIGS, process_video
from tests.conftest import SHARED_DATA


@pytest.fixture(scope="module")
def units():
    """The real sample's rows, per video (as the streamed build hands them over)."""
    outputs = [process_video(TimewarpParams(), meta) for meta in read_metadata(SHARED_DATA / "finevideo")]
    return [{c: o.records[c] for c in CONFIGS} for o in outputs if hasattr(o, "records")]


@pytest.fixture(scope="module")
def items(units):
    whole = {c: [r for unit in units for r in unit[c]] for c in CONFIGS}
    return {c: [make(r, 0) for r in whole[c]] for c, make in separability.ITEMS.items()}


def feature_lists(item) -> list[list[str]]:
    return [blind._binary_row(item)] if isinstance(item, BinaryItem) else blind._option_rows(item)


def plain_matrix(lists: list[list[str]]):
    """The feature matrix the straightforward way: one transform, unique columns, normalised copy."""
    from scipy.sparse import csr_matrix
    from sklearn.feature_extraction import FeatureHasher
    from sklearn.preprocessing import normalize

    hashed = FeatureHasher(n_features=blindrows.HASH_FEATURES, input_type="string",
                           alternate_sign=False).transform(lists).tocsr()
    columns, renumbered = np.unique(hashed.indices, return_inverse=True)
    compact = csr_matrix((hashed.data, renumbered, hashed.indptr), shape=(hashed.shape[0], len(columns)))
    return normalize(compact)


def same_bytes(a, b) -> bool:
    return (a.shape == b.shape and np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
            and a.data.tobytes() == b.data.tobytes())


def test_feature_count_is_the_number_of_features_hashed(items):
    for config, config_items in items.items():
        assert config_items, config
        for item in config_items:
            assert feature_count(item) == sum(map(len, feature_lists(item))), (config, item.key)


def test_matrix_built_in_place_is_the_plain_one(items, monkeypatch):
    monkeypatch.setattr(blindrows, "HASH_CHUNK", 7)  # several chunks, the last one short
    for config_items in items.values():
        lists = [rows for item in config_items for rows in feature_lists(item)]
        built = hashed_rows(iter(lists), sum(map(feature_count, config_items)))
        assert same_bytes(built, plain_matrix(lists))
        with pytest.raises(ValueError, match="reserved"):
            hashed_rows(iter(lists), built.nnz - 1)


def test_row_classes_group_exactly_the_identical_rows(items):
    lists = [rows for item in items["timewar_normal"] for rows in feature_lists(item)]
    lists += lists[:40]  # repeat some rows: they must share their first copy's class
    matrix = hashed_rows(iter(lists), sum(map(len, lists)))
    labels = np.array([n % 2 for n in range(len(lists) - 40)] + [n % 2 for n in range(40)])
    found = row_classes(matrix, labels)
    plain: dict[tuple[int, bytes, bytes], int] = {}
    for row, label in enumerate(labels.tolist()):
        one = matrix[row]
        expected = plain.setdefault((label, one.indices.tobytes(), one.data.tobytes()), len(plain))
        assert found[row] == expected
    assert found[-40:].tolist() == found[:40].tolist()


def test_spilled_rows_read_back_are_the_rows_sliced(items, monkeypatch):
    monkeypatch.setattr(blindrows, "READ_VALUES", 997)  # many blocks, rows across block ends
    lists = [rows for item in items["dpo"] for rows in feature_lists(item)]
    matrix = hashed_rows(iter(lists), sum(map(len, lists)))
    picks = np.random.default_rng(3).integers(0, matrix.shape[0], size=matrix.shape[0] // 2)  # repeats too
    with SpilledRows(matrix) as spilled:
        for rows in (picks, np.sort(picks), np.arange(matrix.shape[0]), np.array([], dtype=np.int64)):
            assert same_bytes(spilled.take(rows), matrix[rows])


def test_within_budget_keeps_the_lowest_ranks_that_fit():
    ranked = [(0.5, 3, 10), (0.1, 7, 40), (0.3, 1, 50), (0.9, 0, 1)]
    assert within_budget(ranked, 100) == {7, 1, 3}
    assert within_budget(ranked, 95) == {7, 1}  # stops at the first that does not fit
    assert within_budget(ranked, 5) == {7}  # the lowest rank is always kept


def test_text_only_sample_fits_the_budget_and_is_the_same_however_streamed(units, items, monkeypatch):
    seed = 0
    # the default budget leaves the real sample whole: its figures are those of every row
    whole = separability.TextOnlySample(seed)
    for unit in units:
        for config in separability.ITEMS:
            whole.add(config, unit[config])
    for config in separability.ITEMS:
        assert [i.key for i in whole.items(config, lambda: units)] == [i.key for i in items[config]]

    monkeypatch.setattr(separability, "FEATURE_BUDGET", 30_000)
    per_unit, in_one = separability.TextOnlySample(seed), separability.TextOnlySample(seed)
    for unit in units:
        for config in separability.ITEMS:
            per_unit.add(config, unit[config])
    lists = {c: [r for unit in units for r in unit[c]] for c in CONFIGS}
    for config in separability.ITEMS:
        in_one.add(config, lists[config])
    for config, config_items in items.items():
        kept = per_unit.items(config, lambda: units)
        assert [i.key for i in kept] == [i.key for i in in_one.items(config, lambda: [lists])]
        assert sum(map(feature_count, kept)) <= 30_000 < sum(map(feature_count, config_items))
        ranks = sorted(sample_rank(seed, i.key) for i in config_items)
        assert sorted(sample_rank(seed, i.key) for i in kept) == ranks[:len(kept)]  # lowest ranks
        left_out = min(r for r in map(lambda i: (sample_rank(seed, i.key), i), config_items)
                       if r[1].key not in {k.key for k in kept})[1]
        assert sum(map(feature_count, kept)) + feature_count(left_out) > 30_000  # the next did not fit


def test_every_streamed_recipe_cuts_its_text_only_sample_to_the_feature_budget(items):
    """The one budget (core blind) bounds every streamed recipe's checks: the cut keeps the lowest
    keyed ranks that fit, in the given order, and leaves a sample under the budget whole."""
    sample = items["dpo"]
    total = sum(map(feature_count, sample))
    assert blind.within_feature_budget(sample, 0) == sample  # the real sample is under the budget
    cut = blind.within_feature_budget(sample, 0, total // 3)
    assert 0 < len(cut) < len(sample) and sum(map(feature_count, cut)) <= total // 3
    assert [sample.index(i) for i in cut] == sorted(sample.index(i) for i in cut)  # given order
    ranks = sorted(sample_rank(0, i.key) for i in sample)
    assert sorted(sample_rank(0, i.key) for i in cut) == ranks[:len(cut)]
    assert separability.FEATURE_BUDGET == blind.FEATURE_BUDGET

