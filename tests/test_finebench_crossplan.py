"""The cross-category plan (crossplan.py) and the referring overlap rule, on small hand-made data."""

from __future__ import annotations

import numpy as np

from pipelines.core.referring import ORDINALS, horizontal_overlap, phrase_for_rank, rank_people
from pipelines.finebench.crossfit import fit_distractor_weights, group_units, inclusion
from pipelines.finebench.crossplan import LEFT, PHRASE_CLASSES, RIGHT, SINGLE, phrase_classes, plan_cross
from pipelines.finebench.posepairs import fit_pose_pairs, pair_counts, pair_weights
from pipelines.finebench.window import window_actions


def test_inclusion_chances_add_up_to_three_and_follow_the_weights():
    masses = np.array([[1.0, 1.0, 1.0, 1.0, 0.0], [10.0, 1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 0.0, 0.0, 0.0]])
    chance = inclusion(masses)
    assert np.allclose(chance.sum(axis=1), [3.0, 3.0, 2.0])
    assert np.allclose(chance[0, :4], 0.75) and chance[0, 4] == 0.0
    assert chance[1, 0] > 0.95 and np.allclose(chance[1, 1:], chance[1, 1])


def test_a_fit_over_groups_of_equal_units_equals_the_fit_over_the_units():
    """Units with the same cell and allowed actions have the same inclusion chances, so the plan
    fits each group once with its units' total mass: same weights and counts up to rounding."""
    rng = np.random.default_rng(3)
    patterns = rng.random((12, 9)) < 0.8
    pick = rng.integers(0, 12, 600)
    allowed, cell = patterns[pick].astype(np.float64), rng.integers(0, 3, 600)
    kept = rng.random(600)
    wanted = rng.random((3, 9)) * 60
    start = np.ones((3, 9))
    groups = group_units(allowed, cell)
    assert len(groups.first) <= 36 and np.array_equal(allowed[groups.first][groups.group], allowed)
    assert np.array_equal(cell[groups.first][groups.group], cell)
    for draws in (1, 3):
        units = fit_distractor_weights(allowed, kept, cell, wanted, start, draws)
        grouped = fit_distractor_weights(allowed[groups.first], groups.mass(kept), cell[groups.first], wanted,
                                         start, draws)
        assert np.allclose(units[0], grouped[0], rtol=1e-12, atol=0)
        assert np.allclose(units[1], grouped[1], rtol=1e-12, atol=1e-12)
        assert not np.allclose(units[0], start)  # the fit moved the weights
    split = group_units(allowed, cell, np.arange(600) % 2)  # an extra key splits groups
    assert len(split.first) > len(groups.first)


def test_capped_keys_fit_their_capacity_and_shares_are_repaired():
    """An AVA-like world: 200 persons, one pose each (stand 120, sit 50, walk 30: category 0) and
    one social action each (talk 80, listen 70, watch 50: category 1); actions 5 and 7 are never
    done. An action can be a wrong option only for persons who do not do it (its capacity), so a
    capped action's expected key count is at most max_key_ratio / (1 - max_key_ratio) of that."""
    persons = 200
    actions = np.zeros((persons, 8), dtype=bool)
    actions[np.arange(persons), np.repeat([0, 1, 4], [120, 50, 30])] = True
    actions[np.arange(persons), np.tile(np.repeat([2, 3, 6], [8, 7, 5]), 10)] = True
    unit_person = np.repeat(np.arange(persons), 2)
    unit_category = np.tile([0, 1], persons)
    category_mask = np.array([[1, 1, 0, 0, 1, 1, 0, 0], [0, 0, 1, 1, 0, 0, 1, 1]], dtype=bool)
    ratio, slack = 0.25, 0.03
    plan = plan_cross(actions, actions, unit_person, unit_category, category_mask, np.ones(8, dtype=bool),
                      max_key_ratio=ratio, share_slack=slack)
    assert plan.capped[0] and plan.scarcest[SINGLE] == 0  # stand is the scarcest
    key = np.where(unit_category == 0, actions[unit_person][:, [0, 1, 4]].argmax(1).choose([0, 1, 4]),
                   actions[unit_person][:, [2, 3, 6]].argmax(1).choose([2, 3, 6]))
    host = actions[unit_person, 0].astype(int)
    kept = plan.keep_key[SINGLE, key] * plan.keep_class[unit_category, host]
    for action in np.flatnonzero(plan.capped):
        keys = kept[key == action].sum()
        capacity = kept[~actions[unit_person, action]].sum()
        assert keys <= ratio / (1 - ratio) * capacity * 1.05, action
    share = kept[unit_category == 0].sum() / kept.sum()
    assert abs(share - 0.5) <= slack + 0.01  # movement keeps its share within the slack
    assert plan.keep_class[1, 1] < plan.keep_class[1, 0]  # standers' other units go first
    assert kept.sum() > 0.4 * len(kept)
    assert plan.distractor_weight[SINGLE, 0] == plan.distractor_weight[SINGLE].max()  # stand pushed most


def test_phrase_classes_follow_the_referring_phrase():
    """Two persons share a class exactly when the referring rule gives them the same phrase form."""
    pairs = [(rank, count) for count in range(1, len(ORDINALS) + 2) for rank in range(1, count + 1)]
    classes = phrase_classes(np.array([r for r, _ in pairs]), np.array([c for _, c in pairs]))
    assert classes.min() >= 0 and classes.max() < PHRASE_CLASSES
    by_class: dict[int, set[str]] = {}
    for (rank, count), cls in zip(pairs, classes.tolist(), strict=True):
        by_class.setdefault(cls, set()).add(phrase_for_rank(rank, count))
    assert all(len(phrases) == 1 for phrases in by_class.values())  # one phrase per class
    assert len({p for phrases in by_class.values() for p in phrases}) == len(by_class)


def ava_like_world() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """200 persons, one pose each (stand 120, sit 50, walk 30: category 0) and one social action
    each (talk 80, listen 70, watch 50: category 1); actions 5 and 7 are never done. Returns
    (actions, unit_person, unit_category, category_mask): one unit per (person, category)."""
    persons = 200
    actions = np.zeros((persons, 8), dtype=bool)
    actions[np.arange(persons), np.repeat([0, 1, 4], [120, 50, 30])] = True
    actions[np.arange(persons), np.tile(np.repeat([2, 3, 6], [8, 7, 5]), 10)] = True
    category_mask = np.array([[1, 1, 0, 0, 1, 1, 0, 0], [0, 0, 1, 1, 0, 0, 1, 1]], dtype=bool)
    return actions, np.repeat(np.arange(persons), 2), np.tile([0, 1], persons), category_mask


def test_keys_are_balanced_per_phrase_class_not_only_per_action():
    """Standers are mostly named "on the left", the others mostly "on the right". Balanced per
    action only, "left x stand" would be the key more than a quarter of its showings; per
    (phrase class, action) cell the expected key count of every cell stays within its capacity
    (the units of that class whose person may be shown the action as a wrong option), and each
    class gets its own wrong-option weights."""
    actions, unit_person, unit_category, category_mask = ava_like_world()
    left = np.random.default_rng(3).random(len(actions)) < np.where(actions[:, 0], 0.7, 0.3)
    unit_class = np.where(left[unit_person], LEFT, RIGHT)
    ratio = 0.25
    plan = plan_cross(actions, actions, unit_person, unit_category, category_mask, np.ones(8, dtype=bool),
                      max_key_ratio=ratio, share_slack=0.03, unit_class=unit_class)
    assert plan.keep_key[LEFT, 0] < min(plan.keep_key[RIGHT, 0], 0.999)  # stand capped harder on the left
    key = np.where(unit_category == 0, actions[unit_person][:, [0, 1, 4]].argmax(1).choose([0, 1, 4]),
                   actions[unit_person][:, [2, 3, 6]].argmax(1).choose([2, 3, 6]))
    scarcest = plan.scarcest[unit_class]
    host = (actions[unit_person, np.maximum(scarcest, 0)] & (scarcest >= 0)).astype(int)
    kept = plan.keep_key[unit_class, key] * plan.keep_class[unit_category, host]
    for cls in (LEFT, RIGHT):
        inside = unit_class == cls
        for action in range(8):
            keys = kept[inside & (key == action)].sum()
            capacity = kept[inside & ~actions[unit_person, action]].sum()
            assert keys <= ratio / (1 - ratio) * capacity * 1.05 + 1e-9, (cls, action)
    assert kept.sum() > 0.3 * len(kept)
    # right persons, fewer of whom stand, are shown stand as a wrong option relatively less
    assert not np.array_equal(plan.distractor_weight[LEFT], plan.distractor_weight[RIGHT])


def test_window_actions_come_from_the_same_person_at_other_keyframes():
    group = np.zeros(5, dtype=np.int64)
    person = np.array([1, 1, 2, 1, 1])
    stamp = np.array([10, 11, 11, 12, 15])
    actions = np.eye(5, dtype=bool)
    found = window_actions(group, person, stamp, actions, [-2, -1, 1, 2])
    assert found[0].tolist() == [False, True, False, True, False]  # t=11 and t=12, not t=15
    assert not found[2].any() and not found[4].any()


def test_nested_or_mostly_overlapping_boxes_are_ambiguous():
    wide, inside, apart = (0.1, 0.1, 0.6, 0.9), (0.3, 0.2, 0.45, 0.9), (0.7, 0.1, 0.9, 0.9)
    assert horizontal_overlap(wide, inside) == 1.0
    ranks = rank_people([wide, inside, apart])
    assert [clear for _, clear in ranks] == [False, False, True]
    assert all(clear for _, clear in rank_people([wide, apart]))


def test_pose_pair_factors_show_fewer_poses_beside_a_pose_key():
    """Hand-made: poses 0 (stand, 150 persons), 1 (sit, 120), 2 (walk, 30), 5 (never done); every
    person has a movement unit (key: its pose) and a social unit (key 3 or 4). Without pair
    factors a stander's movement question nearly always shows "sit" (sit needs wrong showings),
    while few social questions show both; the factors move pose showings away from pose keys."""
    size = 10
    pose = np.zeros(size, dtype=bool)
    pose[[0, 1, 2, 5]] = True
    persons = 300
    actions = np.zeros((persons, size), dtype=bool)
    actions[np.arange(persons), np.repeat([0, 1, 2], [150, 120, 30])] = True
    actions[np.arange(persons), np.tile(np.repeat([3, 4], [2, 1]), 100)] = True
    person = np.repeat(np.arange(persons), 2)
    movement = np.tile([True, False], persons)
    key = np.where(movement, actions[person][:, :3].argmax(axis=1), -1)
    allowed = (~actions[person]).astype(np.float64)
    kept, cell = np.ones(len(person)), np.zeros(len(person), dtype=np.int64)
    wanted = np.zeros((1, size))
    np.add.at(wanted[0], np.where(movement, key, np.where(actions[person, 3], 3, 4)), 3.0)
    start = np.ones((1, size))
    plain, _ = fit_distractor_weights(allowed, kept, cell, wanted, start)
    before, other = pair_counts(inclusion(allowed * plain[cell]), kept, key, pose)
    weights, pair = fit_pose_pairs(allowed, kept, cell, wanted, start, key, pose)
    factor = np.where(movement[:, None], pair[np.maximum(key, 0)], 1.0)
    after, other_after = pair_counts(inclusion(allowed * factor * weights[cell]), kept, key, pose)
    assert after[0, 1] < 0.8 * before[0, 1] and after[0, 2] < 0.8 * before[0, 2]
    assert other_after[0, 1] >= 0.95 * other[0, 1]
    assert np.all(pair[~pose] == 1.0) and np.all(pair[:, ~pose] == 1.0) and pair[0, 1] < 1.0
    assert np.all(pair_weights(pair) >= 1) and pair_weights(pair)[3, 3] == 1000
