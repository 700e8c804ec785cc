"""fragments: the pure pieces (orders, sampling, the five questions, presence, inputs, split).

Each invariant is checked over many seeded draws, so a rule that holds only by luck fails."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from conftest import shared_file

from pipelines.core.errors import InputError
from pipelines.core.presence import Track, ava_presence, read_ava_presence
from pipelines.core.rng import UnitRng
from pipelines.fragments.arrange import (
    Positions,
    apply_sequence,
    identity,
    restoring_sequence,
    shuffled_order,
)
from pipelines.fragments.inputs import list_videos, read_effects, read_labels
from pipelines.fragments.order import kinds_for, meaning_of_order, presence_at, usable_tracks
from pipelines.fragments.phrasing import load_phrasings
from pipelines.fragments.questions import (
    Sample,
    VideoDraws,
    adjust_or_not,
    frame_comparison,
    frame_count,
    rearrangement,
)
from pipelines.fragments.records import split_videos
from pipelines.fragments.sampling import Shortfall, choose_frames

PHR = load_phrasings()
SEEDS = range(60)


def sample(n: int) -> Sample:
    times = tuple(0.7 * k + 0.3 for k in range(n))
    return Sample("v", n, times, tuple(f"media/v/frames/t{k}.jpg" for k in range(n)))


def test_every_task_has_at_least_five_phrasings() -> None:
    for kind in ("frame_count", "first", "last", "which", "same", "different", "adjust_or_not",
                 "rearrangement", "speed", "action", "effect"):
        texts = [t for _, t in PHR.kinds[kind]]
        assert len(set(texts)) >= 5, kind


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6])
def test_frame_count_key_is_the_number_of_frames_given(n: int) -> None:
    for seed in SEEDS:
        q = frame_count(sample(n), UnitRng(seed, "fc"), VideoDraws.for_video(seed, "v"), PHR)
        assert q.options[q.answer] == f"{len(q.frames)} frames" and len(q.frames) == n
        assert len(set(q.options)) == 4 and all(2 <= int(o.split()[0]) <= 6 for o in q.options)


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6])
def test_rearrangement_key_restores_time_order(n: int) -> None:
    for seed in SEEDS:
        q = rearrangement(sample(n), UnitRng(seed, "re"), VideoDraws.for_video(seed, "v"), PHR)
        key = tuple(int(x) for x in q.options[q.answer].split(", "))
        restored = apply_sequence(q.frame_times, key)
        assert restored == sorted(q.frame_times)
        assert len(set(q.options)) == len(q.options) == (2 if n == 2 else 4)
        if n >= 3:  # shown shuffled, and the identity is never offered (it would never be right)
            assert q.time_order != identity(n)
            assert ", ".join(map(str, identity(n))) not in q.options


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6])
def test_adjust_or_not_says_yes_exactly_when_the_order_is_not_time_order(n: int) -> None:
    keys = []
    for seed in SEEDS:
        q = adjust_or_not(sample(n), UnitRng(seed, "adj"), VideoDraws.for_video(seed, "v"), PHR)
        in_time_order = list(q.frame_times) == sorted(q.frame_times)
        assert q.options[q.answer] == ("No" if in_time_order else "Yes")
        assert sorted(q.options) == ["No", "Not sure", "Yes"]
        keys.append(q.options[q.answer])
    assert 0.35 < keys.count("Yes") / len(keys) < 0.65


def test_yes_no_keys_alternate_within_a_video_and_not_sure_is_never_the_key() -> None:
    for seed in range(20):
        draws = VideoDraws.for_video(seed, "v")
        keys = [frame_comparison(sample(n), UnitRng(seed, f"c{n}"), draws, PHR) for n in (2, 3, 4, 5, 6, 2)]
        texts = [q.options[q.answer] for q in keys]
        assert "Not sure" not in texts
        assert all(a != b for a, b in itertools.pairwise(texts))


@pytest.mark.parametrize("n", [2, 4, 6])
def test_frame_comparison_pairs(n: int) -> None:
    for seed in SEEDS:
        q = frame_comparison(sample(n), UnitRng(seed, "cmp"), VideoDraws.for_video(seed, "v"), PHR)
        same_pair = q.frames[0] == q.frames[1]
        assert q.subtask.startswith("same_pair" if same_pair else "different_pair")
        asks_same = q.subtask.endswith("ask_same")
        assert q.options[q.answer] == ("Yes" if same_pair == asks_same else "No")


def test_positions_cycle_over_letters() -> None:
    for seed in range(10):
        positions = Positions(UnitRng(seed, "p"))
        got = [positions.next(4) for _ in range(8)]
        assert sorted(got) == [0, 0, 1, 1, 2, 2, 3, 3]


def test_shuffled_order_is_never_the_identity() -> None:
    for seed in SEEDS:
        for n in (2, 3, 5):
            order = shuffled_order(UnitRng(seed, "s"), n)
            assert order != identity(n) and sorted(order) == list(identity(n))
            assert apply_sequence(order, restoring_sequence(order)) == list(identity(n))


def test_choose_frames_keeps_gap_and_floor_or_says_why() -> None:
    times = [0.25 * k for k in range(20)]
    # frames 0-9 are one picture, 10-19 another: at most 2 pairwise-different frames
    diff = [[0.0 if (i < 10) == (j < 10) else 0.2 for j in range(20)] for i in range(20)]
    picked = choose_frames(UnitRng(1, "x"), times, diff, 2, 0.5, 0.05)
    assert isinstance(picked, list) and (picked[0] < 10) != (picked[1] < 10)
    short = choose_frames(UnitRng(1, "x"), times, diff, 3, 0.5, 0.05)
    assert isinstance(short, Shortfall) and short.best == 2
    spread = [[0.0 if i == j else 0.5 for j in range(20)] for i in range(20)]
    for seed in range(20):
        got = choose_frames(UnitRng(seed, "y"), times, spread, 5, 1.0, 0.05)
        assert isinstance(got, list) and len(got) == 5
        assert all(times[b] - times[a] >= 1.0 for a, b in itertools.pairwise(got))


def test_meaning_of_order_keys_agree_with_presence() -> None:
    times = (1.0, 2.0, 3.0, 4.0, 5.0)
    track = Track("v", "7", (0.0, 1.0, 2.0, 3.0, 4.0, 5.0), (False, False, True, True, False, True), "person")
    smp = Sample("v", 5, times, tuple(f"f{k}" for k in range(5)))
    present = presence_at(track, times, 0.25)
    assert present == (False, True, True, False, True)
    ordinals = ["first", "second", "third", "fourth", "fifth"]
    for seed in SEEDS:
        q = meaning_of_order(smp, track, present, UnitRng(seed, "mo"), VideoDraws.for_video(seed, "v"), PHR)
        key = q.options[q.answer]
        kind = q.subtask.split("/")[0]
        expected = {"first": "the second frame", "last": "the fifth frame",
                    "which": "the second, third and fifth frames"}[kind]
        assert key == expected, (kind, key)
        assert len(set(q.options)) == 4
        assert "the first, second, third, fourth and fifth frames" not in q.options
        named = [w for w in ordinals if w in key]
        assert all(present[ordinals.index(w)] for w in named)


ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth")


@pytest.mark.parametrize("n", [3, 4, 5, 6])
def test_meaning_of_order_options_name_only_shown_frames(n: int) -> None:
    """A "fourth frame" offered beside three frames is ruled out by counting the images."""
    times = tuple(float(k) for k in range(1, n + 1))
    smp = Sample("v", n, times, tuple(f"f{k}" for k in range(n)))
    kinds = set()
    for pattern in itertools.product((False, True), repeat=n):
        if not any(pattern) or all(pattern):
            continue  # usable_tracks never offers constant presence
        track = Track("v", "1", times, pattern, "person")
        for seed in range(8):
            draws = VideoDraws.for_video(seed, "v")
            q = meaning_of_order(smp, track, pattern, UnitRng(seed, "mo"), draws, PHR)
            kinds.add(q.subtask.split("/")[0])
            assert len(set(q.options)) == 4
            for option in q.options:
                named = {w for w in ORDINALS if w in option.replace(",", " ").split()}
                assert named and all(ORDINALS.index(w) < n for w in named), (n, option)
    assert kinds == set(kinds_for(n)) == ({"which"} if n == 3 else {"first", "last", "which"})


def test_two_frames_get_no_meaning_of_order_question() -> None:
    assert kinds_for(2) == ()
    track = Track("v", "1", (1.0, 2.0), (True, False), "person")
    with pytest.raises(ValueError, match="2 frames"):
        meaning_of_order(Sample("v", 2, (1.0, 2.0), ("a", "b")), track, (True, False), UnitRng(0, "mo"),
                         VideoDraws.for_video(0, "v"), PHR)


def test_usable_tracks_reasons() -> None:
    times = (1.0, 2.0, 3.0)
    mixed = Track("v", "1", (1.0, 2.0, 3.0), (True, False, True))
    constant = Track("v", "2", (1.0, 2.0, 3.0), (True, True, True))
    sparse = Track("v", "3", (10.0,), (True,))
    assert usable_tracks([sparse], times, 0.25) == ([], "no_presence_at_frames")
    assert usable_tracks([constant], times, 0.25) == ([], "presence_constant")
    assert usable_tracks([mixed, constant], times, 0.25) == ([], "ambiguous_object")
    assert usable_tracks([mixed], times, 0.25)[0][0][0] is mixed


def test_ava_presence_on_the_real_excerpt() -> None:
    path = shared_file("ava", "ava_val_v2.2_excerpt.csv")
    source, rejects, total = read_ava_presence(path, time_offset=900)
    assert total > 0 and {r.reason for r in rejects} <= {"bad_person_id"}  # the excerpt has "3_"
    bad = {r.line for r in rejects}
    rows = [line.split(",") for n, line in enumerate(path.read_text().split("\n"), start=1)
            if line and n not in bad]
    for video_id in source.video_ids():
        for track in source.tracks(video_id):
            labelled = {int(r[1]) - 900 for r in rows if r[0] == video_id and r[7] == track.object_id}
            assert {t for t, p in zip(track.times, track.present, strict=True) if p} == labelled
            assert track.times[0] <= 2.0 and track.times[-1] >= 898.0  # every AVA keyframe is a sample
    fake = ava_presence([], 900)
    assert fake.video_ids() == [] and fake.tracks("x") == []


def test_input_readers_reject_bad_rows_and_stop_on_bad_files(tmp_path: Path) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text("video_id,label\na,walk\nb\na,run\nc,sit\n")
    table, rejects = read_labels(labels)
    assert table == {"a": "walk", "c": "sit"}
    assert [r[1] for r in rejects] == ["bad_label_row", "conflicting_label"]
    effects = tmp_path / "effects.csv"
    effects.write_text("a,melts,breaks,grows,x\nb,one,one,two,three\nc,too,few\n")
    table_e, rejects_e = read_effects(effects)
    assert list(table_e) == ["a"] and table_e["a"].wrong == ("breaks", "grows", "x")
    assert [r[1] for r in rejects_e] == ["duplicate_effect_option", "bad_effect_row"]
    with pytest.raises(InputError, match=r"missing\.csv: file not found"):
        read_labels(tmp_path / "missing.csv")
    (tmp_path / "videos").mkdir()
    (tmp_path / "videos" / "a.mp4").write_bytes(b"x")
    (tmp_path / "videos" / "a.mkv").write_bytes(b"x")
    (tmp_path / "videos" / ".hidden").write_bytes(b"x")
    videos, dupes = list_videos(tmp_path / "videos")
    assert [v.path.name for v in videos] == ["a.mkv"] and dupes[0][:2] == ("a.mp4", "duplicate_video_id")


def test_split_by_video_is_disjoint_stable_and_sized() -> None:
    ids = [f"vid{i}" for i in range(40)]
    bench = split_videos(3, ids, 0.25)
    assert len(bench) == 10 and bench == split_videos(3, list(reversed(ids)), 0.25)
    assert bench != split_videos(4, ids, 0.25)


def test_masks_give_presence_tracks_through_the_shared_interface(tmp_path) -> None:
    """--masks (a ReVOS-format root) feeds the same tracks as core.masks.read_mask_presence, with
    the skipped objects accounted, merged per video beside any AVA tracks."""
    from pipelines.core.masks import read_mask_presence
    from pipelines.core.tally import Tally
    from pipelines.fragments.config import FragmentsParams
    from pipelines.fragments.inputs import FragmentsInputs
    from pipelines.fragments.recipe import _tables
    from pipelines.revos.demo import write_revos

    write_revos(tmp_path / "revos")
    params = FragmentsParams(mask_fps=6.0)
    tally = Tally()
    tracks, _, _ = _tables(FragmentsInputs(tmp_path, masks=tmp_path / "revos"), params, tally)
    source, skipped, seen = read_mask_presence(tmp_path / "revos", 6.0)
    assert tracks == {v: tuple(source.tracks(v)) for v in source.video_ids()}
    assert any(not all(t.present) and any(t.present) for ts in tracks.values() for t in ts)
    assert tally.inputs["mask_objects"] == seen and tally.accepted["mask_objects"] == seen - len(skipped)
    assert [r[2] for r in tally.rejects] == [reason for _, reason, _ in skipped]
