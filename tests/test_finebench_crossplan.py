"""The cross-category plan (crossplan.py) and the referring overlap rule, on small hand-made data."""

from __future__ import annotations

import numpy as np

from pipelines.core.referring import horizontal_overlap, rank_people
from pipelines.finebench.crossplan import inclusion, plan_cross
from pipelines.finebench.window import window_actions


def test_inclusion_chances_add_up_to_three_and_follow_the_weights():
    masses = np.array([[1.0, 1.0, 1.0, 1.0, 0.0], [10.0, 1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 0.0, 0.0, 0.0]])
    chance = inclusion(masses)
    assert np.allclose(chance.sum(axis=1), [3.0, 3.0, 2.0])
    assert np.allclose(chance[0, :4], 0.75) and chance[0, 4] == 0.0
    assert chance[1, 0] > 0.95 and np.allclose(chance[1, 1:], chance[1, 1])


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
    assert plan.capped[0] and plan.scarcest == 0  # stand is the scarcest
    key = np.where(unit_category == 0, actions[unit_person][:, [0, 1, 4]].argmax(1).choose([0, 1, 4]),
                   actions[unit_person][:, [2, 3, 6]].argmax(1).choose([2, 3, 6]))
    host = actions[unit_person, 0].astype(int)
    kept = plan.keep_key[key] * plan.keep_class[unit_category, host]
    for action in np.flatnonzero(plan.capped):
        keys = kept[key == action].sum()
        capacity = kept[~actions[unit_person, action]].sum()
        assert keys <= ratio / (1 - ratio) * capacity * 1.05, action
    share = kept[unit_category == 0].sum() / kept.sum()
    assert abs(share - 0.5) <= slack + 0.01  # movement keeps its share within the slack
    assert plan.keep_class[1, 1] < plan.keep_class[1, 0]  # standers' other units go first
    assert kept.sum() > 0.4 * len(kept)
    assert plan.distractor_weight[0] == plan.distractor_weight.max()  # stand pushed as a wrong option


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
