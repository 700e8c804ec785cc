"""The shared text-only baseline (pipelines.core.blind): it must find real text shortcuts, stay at
chance when there are none, and never let a group leak across a fold."""

from __future__ import annotations

from pipelines.core.blind import BinaryItem, ChoiceItem, blind_binary_report, blind_choice_report
from pipelines.core.rng import UnitRng

VERBS = ["run", "sit", "stand", "walk", "jump", "read", "cook", "swim", "dance", "sing", "write", "paint"]


def _items(make_key, count: int = 240, name_video: bool = False) -> list[ChoiceItem]:
    items = []
    for n in range(count):
        rng = UnitRng(7, f"item{n}")
        options = rng.sample(VERBS, 4)
        answer = make_key(n, options, rng)
        items.append(ChoiceItem(key=f"q{n}", groups={"video": f"v{n % 6}", "keyframe": f"v{n % 6}@{n}"},
                                question=(f"In clip v{n % 6}, w" if name_video else "W")
                                + f"hat is the person doing at moment {n}?",
                                options=tuple(options), answer=answer, template=f"t{n % 3}"))
    return items


def test_finds_a_shortcut_in_the_option_texts() -> None:
    # the key is always the alphabetically first verb: a text-only model can learn that ordering
    report = blind_choice_report(_items(lambda n, options, rng: options.index(min(options))))
    assert report["best"] > 0.6
    assert report["above_target"] is True
    assert report["chance"] == 0.25


def test_stays_near_chance_without_a_shortcut() -> None:
    report = blind_choice_report(_items(lambda n, options, rng: rng.below(4), count=400))
    for split in ("video", "keyframe"):
        for model in ("option_prior", "linear_ngrams"):
            assert report["splits"][split][model] < 0.34, (split, model, report)


def test_a_video_is_never_on_both_sides_of_a_fold() -> None:
    # each video (named in the question) has its own favourite key word: learnable within a
    # video, not across videos
    def key(n: int, options: list[str], rng: UnitRng) -> int:
        favourite = VERBS[(n % 6) * 2]
        if favourite not in options:
            options[rng.below(4)] = favourite
        return options.index(favourite)

    report = blind_choice_report(_items(key, count=360, name_video=True))
    assert report["splits"]["keyframe"]["linear_ngrams"] > 0.9  # keyframes of one video on both sides
    assert report["splits"]["video"]["linear_ngrams"] < 0.35
    assert report["splits"]["video"]["option_prior"] < 0.35
    assert report["splits"]["video"]["groups"] == 6


def test_deterministic_and_subsampled_by_key() -> None:
    items = _items(lambda n, options, rng: rng.below(4), count=120)
    first = blind_choice_report(items, max_items=80)
    assert first == blind_choice_report(list(reversed(items)), max_items=80)
    assert first["items"] == 80


def test_single_group_cannot_be_cross_validated() -> None:
    items = [ChoiceItem(key=str(n), groups={"video": "one"}, question="q", options=("a", "b"), answer=0)
             for n in range(10)]
    assert blind_choice_report(items)["splits"] == {"video": None}


def test_binary_separable_and_inseparable() -> None:
    separable, mixed = [], []
    for n in range(200):
        label = n % 2 == 0
        text = f"The player scores a goal in minute {n}." + (" Then it rains heavily." if not label else "")
        separable.append(BinaryItem(key=str(n), groups={"video": f"v{n % 5}"}, question="Describe.",
                                    text=text, label=label))
        # the same text under both labels (KTO's chosen answer is desirable for one video only)
        mixed.append(BinaryItem(key=str(n), groups={"video": f"v{n % 5}"}, question="Describe.",
                                text=f"The player scores a goal in minute {n // 2}.", label=label))
    assert blind_binary_report(separable)["best"] > 0.9
    assert blind_binary_report(mixed)["best"] <= 0.6
    assert blind_binary_report(mixed, target=0.55)["target"] == 0.55


def test_identical_option_rows_fit_once_with_their_count_as_weight() -> None:
    """The linear model fits each class of identical (features, label) rows once, weighted by its
    size: the classes are exactly the identical rows, and the decision values equal those of the
    fit on every row written out (the same objective; only float rounding differs)."""
    import numpy as np

    from pipelines.core import blind
    from pipelines.core.blindrows import SpilledRows, hashed_rows, row_classes

    # few verbs and no per-item numbers in the question, so option rows repeat a lot
    items = [ChoiceItem(key=f"q{n}", groups={"video": f"v{n % 4}"}, question="What is the person doing?",
                        options=tuple(UnitRng(3, f"o{n}").sample(VERBS[:5], 4)),
                        answer=UnitRng(4, f"a{n}").below(4), template=f"t{n % 2}") for n in range(400)]
    rows = hashed_rows((features for item in items for features in blind._option_rows(item)),
                       sum(map(blind.feature_count, items)))
    labels = np.array([int(i == item.answer) for item in items for i in range(4)])
    classes = row_classes(rows, labels)
    dense = rows.toarray()
    for a in range(0, len(labels), 37):
        same = np.flatnonzero(classes == classes[a])
        assert (labels[same] == labels[a]).all() and (dense[same] == dense[a]).all()
        others = np.flatnonzero(classes != classes[a])
        assert not ((labels[others] == labels[a]) & (dense[others] == dense[a]).all(axis=1)).any()
    assert len(set(classes.tolist())) < len(labels) // 3  # the repeats the weighting saves
    train, test = np.arange(0, 1200), np.arange(1200, 1600)
    full = blind._fit_predict(rows[train], labels[train], lambda: rows[test])
    with SpilledRows(rows) as spilled:
        weighted = blind._fit_distinct(spilled, labels, classes, train, test)
    assert np.allclose(weighted, full, rtol=0, atol=1e-6)  # decision values up to ~1.5
