"""Window truth: what a person does in the frames a question shows, not only at its keyframe.

A question shows several frames around the target keyframe (config.FrameWindow). AVA annotates
a person (``person_id``) at every keyframe, once per second; an action annotated for the same
person at another keyframe inside the shown span is visible in the question's frames, so it may
never be offered as a wrong option. These functions are pure array work over person rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from pipelines.finebench.config import FrameWindow


def window_deltas(frames: FrameWindow) -> list[int]:
    """Whole-second offsets of the *other* keyframes inside the span the frames cover."""
    times = frames.times(0.0)
    return [d for d in range(math.ceil(min(times) - 1e-9), math.floor(max(times) + 1e-9) + 1) if d]


def action_rows(action_offsets: np.ndarray, action_ids: np.ndarray, size: int) -> np.ndarray:
    """(persons x size) bool: the actions annotated for each person row at its keyframe."""
    counts = np.diff(action_offsets)
    mask = np.zeros((len(counts), size), dtype=bool)
    mask[np.repeat(np.arange(len(counts)), counts), action_ids] = True
    return mask


def window_actions(group: np.ndarray, person_id: np.ndarray, timestamp: np.ndarray,
                   actions: np.ndarray, deltas: Sequence[int]) -> np.ndarray:
    """OR of ``actions`` over the rows of the same (group, person id) at ``timestamp + d`` for
    every ``d`` in ``deltas`` (rows in any order; ``group`` separates videos)."""
    found = np.zeros_like(actions)
    if not len(group) or not deltas:
        return found
    # One int64 per (group, person id): both shifted to start at 0, so the product cannot collide
    # (ids need not be dense: a key only has to tell owners apart).
    person = person_id.astype(np.int64) - int(person_id.min())
    owner = (group.astype(np.int64) - int(group.min())) * (int(person.max()) + 1) + person
    stamp = timestamp.astype(np.int64)
    span = np.int64(stamp.max() - stamp.min() + 2 * max(abs(d) for d in deltas) + 1)
    key = owner * span + (stamp - stamp.min() + max(abs(d) for d in deltas))
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    for delta in deltas:
        wanted = key + delta
        at = np.minimum(np.searchsorted(ordered, wanted), len(ordered) - 1)
        hit = ordered[at] == wanted
        found[hit] |= actions[order[at[hit]]]
    return found


def forbidden_rows(actions: np.ndarray, window: np.ndarray, forbid: np.ndarray) -> np.ndarray:
    """Actions never offered as wrong options to each row: those it does at the keyframe or in the
    window, and everything they entail or are entailed by (``forbid`` has the identity)."""
    shown = (actions | window).astype(np.float32)  # float32: BLAS speed, exact for small counts
    return (shown @ forbid.astype(np.float32)) > 0.5
