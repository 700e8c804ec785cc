"""Text-only ("blind") baselines: can a model that never sees the video pick the answer?

Every multiple-choice or preference config of every recipe reports these figures beside chance.
A config a text-only model wins measures language priors, not video understanding.

Two kinds of items:
- :class:`ChoiceItem`: one question with its options in presented order and the index of the key
  (MCQs; preference pairs as two options in a drawn order, the chosen response being the key).
- :class:`BinaryItem`: one unpaired text with a yes/no label (KTO's desirable / undesirable).

Models are trained and tested *inside the build*, with group k-fold per split: each item names its
group per split (``{"video": ..., "keyframe": ...}``) and a group is never on both sides of a fold,
so a model cannot memorise one video's questions and score on them. Per split:
- ``option_prior`` (choices only): P(option is the key | option text shown), counted on the
  training folds;
- ``linear_ngrams``: a logistic regression over hashed features of each option (word 1-2-grams,
  char 2-4-grams, its position, its length rank among the options, how many of its words the other
  options repeat), crossed with the question's words and the template id.
An option's score is the model's decision value; the prediction is the best-scoring option, with
ties broken by a hash of the item key (never "first option wins", which would reward letter bias).

Everything is deterministic: folds depend only on the groups, and large inputs are subsampled to
``max_items`` items by a keyed hash (not by position). The report is plain JSON-serialisable data.
The feature matrix is built, kept and sliced by :mod:`pipelines.core.blindrows` (no whole-matrix
copies; spilled to a temporary file during the folds): the same bytes the plain way gives.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from hashlib import blake2b
from typing import Any

import numpy as np

from pipelines.core.blindrows import SpilledRows, hashed_rows, row_classes
from pipelines.core.reservoir import within_budget

_WORD = re.compile(r"[a-z0-9']+")


@dataclass(frozen=True)
class ChoiceItem:
    """One question: ``options`` in presented order, ``answer`` the index of the key."""

    key: str
    groups: Mapping[str, str]
    question: str
    options: tuple[str, ...]
    answer: int
    template: str = ""


@dataclass(frozen=True)
class BinaryItem:
    """One unpaired sample: the response ``text`` to ``question`` and its label."""

    key: str
    groups: Mapping[str, str]
    question: str
    text: str
    label: bool


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _unit_hash(seed: int, key: str, salt: str = "") -> float:
    digest = blake2b(f"{seed}\x1f{key}\x1f{salt}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") / 2**64


def sample_rank(seed: int, key: str) -> float:
    """The rank by which a list longer than ``max_items`` is subsampled (lowest ranks kept); a
    stream can take the same sample with :class:`pipelines.core.reservoir.KeyedSample`."""
    return _unit_hash(seed, key, "sample")


def _subsample(items: Sequence[Any], seed: int, max_items: int) -> list[Any]:
    if len(items) <= max_items:
        return list(items)
    ranked = sorted(range(len(items)), key=lambda i: sample_rank(seed, items[i].key))
    return [items[i] for i in sorted(ranked[:max_items])]


def _text_features(text: str, prefix: str) -> list[str]:
    words = _words(text)
    features = [f"{prefix}w:{w}" for w in words]
    features += [f"{prefix}b:{a}_{b}" for a, b in itertools.pairwise(words)]
    padded = f" {' '.join(words)} "
    features += [f"{prefix}c:{padded[i:i + n]}" for n in (2, 3, 4) for i in range(len(padded) - n + 1)]
    return features


def _text_feature_count(text: str) -> int:
    words = _words(text)
    padded = len(" ".join(words)) + 2
    return len(words) + max(len(words) - 1, 0) + sum(max(padded - n + 1, 0) for n in (2, 3, 4))


def feature_count(item: ChoiceItem | BinaryItem) -> int:
    """How many feature strings the linear model hashes for ``item`` (all its option rows): an
    upper bound on the nonzeros it adds to the feature matrix, so a sample whose items sum to at
    most N holds at most N stored values. Counted from the word lists, without building the
    strings (equal to the lengths of the lists :func:`_option_rows` and the binary rows make)."""
    question = len(set(_words(item.question)))
    if isinstance(item, BinaryItem):
        return _text_feature_count(item.text) + question * len(set(_words(item.text))) + 1
    total = 0
    for option in item.options:
        distinct = len(set(_words(option)))
        template = distinct + 1 if item.template else 0
        total += _text_feature_count(option) + question * distinct + template + 4
    return total


FEATURE_BUDGET = 2_000_000  # hashed features a streamed recipe's check fits at most (bounds memory)


def within_feature_budget(items: Sequence[Any], seed: int, budget: int | None = None) -> list[Any]:
    """The items of lowest keyed rank (:func:`sample_rank`) whose :func:`feature_count` adds up
    to at most ``budget`` (default :data:`FEATURE_BUDGET`), in their given order: the memory of a
    check then depends on the budget, not on the input size or text length. Use it on a keyed
    sample before a report."""
    budget = FEATURE_BUDGET if budget is None else budget
    ranked = [(sample_rank(seed, item.key), position, feature_count(item))
              for position, item in enumerate(items)]
    kept = within_budget(ranked, budget)
    return [item for position, item in enumerate(items) if position in kept]


def _crossed(question: str, template: str, text: str) -> list[str]:
    option_words = sorted(set(_words(text)))
    question_words = sorted(set(_words(question)))
    crossed = [f"q:{q}|{o}" for q in question_words for o in option_words]
    if template:
        crossed += [f"t:{template}|{o}" for o in option_words] + [f"t:{template}|{text.lower()}"]
    return crossed


def _option_rows(item: ChoiceItem) -> list[list[str]]:
    lengths = [len(option) for option in item.options]
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    rank = {index: position for position, index in enumerate(order)}
    word_sets = [set(_words(option)) for option in item.options]
    rows = []
    for index, option in enumerate(item.options):
        others = set().union(*(s for j, s in enumerate(word_sets) if j != index))
        shared = len(word_sets[index] & others)
        rows.append(_text_features(option, "o") + _crossed(item.question, item.template, option)
                    + [f"pos:{index}", f"lenrank:{rank[index]}", f"shared:{min(shared, 5)}",
                       f"whole:{option.lower()}"])
    return rows


def _binary_row(item: BinaryItem) -> list[str]:
    return (_text_features(item.text, "o") + _crossed(item.question, "", item.text)
            + [f"whole:{item.text.lower()}"])


def _folds(groups: Sequence[str], folds: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Group k-fold: groups dealt largest first to the currently smallest fold (deterministic)."""
    sizes: dict[str, int] = defaultdict(int)
    for group in groups:
        sizes[group] += 1
    count = min(folds, len(sizes))
    load = [0] * count
    fold_of: dict[str, int] = {}
    for group in sorted(sizes, key=lambda g: (-sizes[g], g)):
        target = min(range(count), key=lambda f: (load[f], f))
        fold_of[group] = target
        load[target] += sizes[group]
    assigned = np.array([fold_of[g] for g in groups])
    for fold in range(count):
        yield np.flatnonzero(assigned != fold), np.flatnonzero(assigned == fold)


def _fit_predict(train_x: Any, train_y: np.ndarray, test_x: Callable[[], Any],
                 weight: np.ndarray | None = None) -> np.ndarray:
    """Decision values on ``test_x()`` (read only once the fit is done, so the test rows never sit
    beside the solver's copy) of the logistic regression fitted on the training rows; ``weight``:
    how many identical rows each training row stands for (liblinear scales a row's loss by it, so
    the objective is the one of the rows written out)."""
    from sklearn.linear_model import LogisticRegression

    if len(set(train_y.tolist())) < 2:  # one class only: no signal to learn, score flat
        return np.zeros(test_x().shape[0])
    model = LogisticRegression(C=4.0, solver="liblinear", tol=1e-4, max_iter=200)
    model.fit(train_x, train_y, sample_weight=weight)  # liblinear frees its copy when it returns
    return model.decision_function(test_x())


def _fit_distinct(rows: SpilledRows, labels: np.ndarray, classes: np.ndarray, train_rows: np.ndarray,
                  test_rows: np.ndarray) -> np.ndarray:
    """:func:`_fit_predict` on ``train_rows`` with each class of identical rows given once, weighted
    by its count: the same objective (a sum of the same losses), several times fewer rows (a build
    repeats option rows a lot: 80,000 option rows of a 20,000-question sample are ~15,000 distinct)."""
    _, first, counts = np.unique(classes[train_rows], return_index=True, return_counts=True)
    kept = train_rows[first]
    return _fit_predict(rows.take(kept), labels[kept], lambda: rows.take(test_rows),
                        counts.astype(np.float64))


def _pick(scores: Sequence[float], item: ChoiceItem, seed: int) -> int:
    jitter = [_unit_hash(seed, item.key, f"tie{i}") * 1e-9 for i in range(len(scores))]
    return int(np.argmax(np.asarray(scores, dtype=float) + jitter))


def _prior_scores(train: Sequence[ChoiceItem], test: Sequence[ChoiceItem]) -> list[list[float]]:
    shown: dict[str, int] = defaultdict(int)
    keyed: dict[str, int] = defaultdict(int)
    for item in train:
        for index, option in enumerate(item.options):
            shown[option.lower()] += 1
            keyed[option.lower()] += index == item.answer
    return [[keyed[o.lower()] / shown[o.lower()] if shown[o.lower()] else 1 / len(item.options)
             for o in item.options] for item in test]


def _choice_split(items: list[ChoiceItem], split: str, rows: SpilledRows, row_item: np.ndarray,
                  labels: np.ndarray, classes: np.ndarray, seed: int, folds: int) -> dict[str, Any]:
    groups = [item.groups[split] for item in items]
    correct = {"option_prior": 0, "linear_ngrams": 0}
    for train, test in _folds(groups, folds):
        test_items = [items[i] for i in test]
        for item, scores in zip(test_items, _prior_scores([items[i] for i in train], test_items),
                                strict=True):
            correct["option_prior"] += _pick(scores, item, seed) == item.answer
        train_rows = np.flatnonzero(np.isin(row_item, train))
        test_rows = np.flatnonzero(np.isin(row_item, test))
        decision = _fit_distinct(rows, labels, classes, train_rows, test_rows)
        per_item: dict[int, list[float]] = defaultdict(list)
        for row, value in zip(test_rows, decision, strict=True):
            per_item[int(row_item[row])].append(float(value))
        for index in test:
            correct["linear_ngrams"] += _pick(per_item[int(index)], items[index], seed) == items[index].answer
    return {"groups": len(set(groups)), **{name: hits / len(items) for name, hits in correct.items()}}


def blind_choice_report(items: Sequence[ChoiceItem], *, seed: int = 0, target: float = 0.30,
                        folds: int = 5, max_items: int = 20_000) -> dict[str, Any]:
    """Accuracy of the text-only models per split (see the module docstring).

    A split with fewer than two groups cannot be cross-validated and is reported as ``None``.
    ``above_target`` is True when the best model beats ``target`` (the build should warn).
    """
    chosen = _subsample(items, seed, max_items)
    if not chosen:
        return {"items": 0, "chance": None, "target": target, "splits": {}, "best": None,
                "best_model": None, "above_target": False}
    for item in chosen:
        if not 0 <= item.answer < len(item.options):
            raise ValueError(f"{item.key}: answer index {item.answer} outside the options")
    row_item = [index for index, item in enumerate(chosen) for _ in item.options]
    labels = [int(option == item.answer) for item in chosen for option in range(len(item.options))]
    matrix = hashed_rows((features for item in chosen for features in _option_rows(item)),
                         sum(map(feature_count, chosen)))
    classes = row_classes(matrix, np.asarray(labels))
    rows = SpilledRows(matrix)
    del matrix  # from here on only the rows a fold slices are in memory
    splits: dict[str, Any] = {}
    with rows:
        for split in sorted({name for item in chosen for name in item.groups}):
            if len({item.groups[split] for item in chosen}) < 2:
                splits[split] = None
                continue
            splits[split] = _choice_split(chosen, split, rows, np.asarray(row_item), np.asarray(labels),
                                          classes, seed, folds)
    return _summarise(len(chosen), float(np.mean([1 / len(i.options) for i in chosen])), target, splits)


def blind_binary_report(items: Sequence[BinaryItem], *, seed: int = 0, target: float | None = None,
                        folds: int = 5, max_items: int = 20_000) -> dict[str, Any]:
    """Accuracy of a text-only classifier of the label, per split, beside the majority share
    (``chance``); ``above_target`` only when a ``target`` is given and beaten."""
    chosen = _subsample(items, seed, max_items)
    if not chosen:
        return {"items": 0, "chance": None, "target": None, "splits": {}, "best": None,
                "best_model": None, "above_target": False}
    labels = np.asarray([int(item.label) for item in chosen])
    majority = max(labels.mean(), 1 - labels.mean())
    splits: dict[str, Any] = {}
    matrix = hashed_rows(map(_binary_row, chosen), sum(map(feature_count, chosen)))
    with SpilledRows(matrix) as rows:
        del matrix
        for split in sorted({name for item in chosen for name in item.groups}):
            groups = [item.groups[split] for item in chosen]
            if len(set(groups)) < 2:
                splits[split] = None
                continue
            hits = 0
            for train, test in _folds(groups, folds):
                decision = _fit_predict(rows.take(train), labels[train], partial(rows.take, test))
                guess = np.where(decision == 0, int(labels[train].mean() >= 0.5), (decision > 0).astype(int))
                hits += int((guess == labels[test]).sum())
            splits[split] = {"groups": len(set(groups)), "linear_ngrams": hits / len(chosen)}
    return _summarise(len(chosen), float(majority), target, splits)


def _summarise(count: int, chance: float, target: float | None,
               splits: dict[str, Any]) -> dict[str, Any]:
    scored = [(accuracy, f"{split}/{model}") for split, figures in splits.items() if figures
              for model, accuracy in figures.items() if model != "groups"]
    best, best_model = max(scored) if scored else (None, None)
    above = best is not None and target is not None and best > target + 1e-12
    return {"items": count, "chance": chance, "target": target, "splits": splits, "best": best,
            "best_model": best_model, "above_target": above}
