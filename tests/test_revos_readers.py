"""Readers of ReVOS / MeViS / Ref-YouTube-VOS: accounting, reasoned rejections, exact masks."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipelines.core.errors import InputError
from pipelines.core.masks import decode
from pipelines.revos.demo import EXPRESSIONS, VIDEOS, draw_video, frame_names, write_revos
from pipelines.revos.model import VideoReject, VideoUnit
from pipelines.revos.read_masks import read_mask_dataset
from pipelines.revos.read_refytvos import read_refytvos
from tests.conftest import shared_file

REFYTVOS = ("revos", "ref_youtube_vos", "meta_expressions.json")


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("revos_demo")
    write_revos(root)
    return root


def test_real_refytvos_every_expression_accounted() -> None:
    path = shared_file(*REFYTVOS)
    raw = json.loads(path.read_text())["videos"]
    units = list(read_refytvos(path, fps=30.0))
    assert len(units) == len(raw) == 507
    kept = sum(len(u.expressions) for u in units if isinstance(u, VideoUnit))
    rejected = sum(len(u.rejects) for u in units if isinstance(u, VideoUnit)) + \
        sum(len(u.expression_ids) for u in units if isinstance(u, VideoReject))
    assert kept + rejected == sum(len(v["expressions"]) for v in raw.values()) == 2096
    unit = next(u for u in units if u.video_id == "0062f687f1")
    assert unit.expressions[2].text == "a puppy dog on the left drinking milk from its mother"
    assert unit.times[:3] == (0.0, 5 / 30, 10 / 30)  # frame names are source frame numbers
    assert not unit.expressions[0].has_masks  # the public valid file has no obj_id: text side only


def test_demo_masks_decode_to_the_drawn_masks_bit_for_bit(demo_root: Path) -> None:
    mask_dict = json.loads((demo_root / "mask_dict.json").read_text())
    meta = json.loads((demo_root / "meta_expressions_valid_.json").read_text())["videos"]
    for video_id in VIDEOS:
        _, drawn = draw_video(video_id)
        for exp in meta[video_id]["expressions"].values():
            for obj, anno in zip(exp["obj_id"], exp["anno_id"], strict=True):
                if video_id == "demo_defects" and obj == 7:
                    continue  # planted defects
                for rle, mask in zip(mask_dict[str(anno)], drawn[obj], strict=True):
                    assert np.array_equal(decode(rle), mask) if rle else not mask.any()


def test_demo_reader_rejects_each_planted_defect_with_its_reason(demo_root: Path) -> None:
    units = {u.video_id: u for u in read_mask_dataset(demo_root, "revos", fps=30.0)}
    defects = units["demo_defects"]
    assert isinstance(defects, VideoUnit) and [e.text for e in defects.expressions] == ["the orange square"]
    assert Counter(reason for _, reason, _ in defects.rejects) == Counter(
        ["mask_frame_mismatch", "undecodable_rle", "unknown_anno_id", "empty_mask", "empty_expression"])
    street = units["demo_street"]
    assert len(street.expressions) == len(EXPRESSIONS["demo_street"]) and not street.rejects
    assert street.frames == tuple(frame_names(VIDEOS["demo_street"][0]))
    assert street.expressions[3].object_ids == ("1", "2") and len(street.expressions[3].masks) == 2


def test_missing_frame_rejects_the_video_and_all_its_expressions(demo_root: Path, tmp_path: Path) -> None:
    root = tmp_path / "revos"
    shutil.copytree(demo_root, root)
    (root / "JPEGImages" / "demo_park" / "00006.jpg").unlink()
    park = next(u for u in read_mask_dataset(root, "revos", 30.0) if u.video_id == "demo_park")
    assert isinstance(park, VideoReject) and park.reason == "missing_frames"
    assert park.detail == "00006.jpg" and park.expression_ids == ("0", "1", "2")


def test_bad_meta_file_stops_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "meta_expressions.json").write_text('{"videos": [1, 2]}')
    (tmp_path / "mask_dict.json").write_text("{}")
    with pytest.raises(InputError, match=r"meta_expressions.json \[videos\]: expected an object"):
        list(read_mask_dataset(tmp_path, "mevis", 30.0))
    (tmp_path / "meta_expressions.json").write_text('{"videos": {')
    with pytest.raises(InputError, match=r"meta_expressions.json:1: not valid JSON"):
        list(read_mask_dataset(tmp_path, "mevis", 30.0))


def test_mevis_layout_and_bad_video_entries(tmp_path: Path) -> None:
    good = {"size": [2, 2], "counts": [0, 4]}
    (tmp_path / "mask_dict.json").write_text(json.dumps({"5": [good, None]}))
    (tmp_path / "meta_expressions.json").write_text(json.dumps({"videos": {
        "a": {"frames": ["00000", "00003"],
              "expressions": {"0": {"exp": "cat", "obj_id": [1], "anno_id": [5]},
                              "1": {"exp": "dog", "obj_id": [1, 2], "anno_id": [5]}}},
        "b": {"frames": [], "expressions": {"0": {"exp": "x", "anno_id": [5]}}},
        "c": {"frames": ["00003", "00001"], "expressions": {}},
        "d": {"expressions": {"0": {}}}}}))
    units = {u.video_id: u for u in read_mask_dataset(tmp_path, "mevis", 30.0)}
    assert units["a"].key == "mevis/a" and [e.text for e in units["a"].expressions] == ["cat"]
    assert units["a"].rejects == (("mevis/a/1", "bad_ids", "obj_id=[1, 2] anno_id=[5]"),)
    assert [(units[v].reason, units[v].expression_ids) for v in "bcd"] == [
        ("no_frames", ("0",)), ("unordered_frames", ()), ("bad_video_entry", ("0",))]


def _palette_png(path: Path, labels: np.ndarray) -> None:
    image = Image.fromarray(labels.astype(np.uint8), mode="P")
    image.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * 756)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)


def test_refytvos_palette_pngs_give_exact_masks_and_reasons(tmp_path: Path) -> None:
    labels = [np.zeros((6, 8), np.uint8) for _ in range(3)]
    labels[0][1:3, 1:4] = 1
    labels[1][1:3, 2:5] = 1
    labels[1][4:6, 0:2] = 2
    for name, label in zip(("00000", "00005", "00010"), labels, strict=True):
        _palette_png(tmp_path / "Annotations" / "v1" / f"{name}.png", label)
    (tmp_path / "meta_expressions.json").write_text(json.dumps({"videos": {
        "v1": {"frames": ["00000", "00005", "00010"], "expressions": {
            "0": {"exp": "the red thing", "obj_id": 1}, "1": {"exp": "green", "obj_id": "2"},
            "2": {"exp": "blue", "obj_id": 3}, "3": {"exp": "", "obj_id": 1}}},
        "v2": {"frames": ["00000"], "expressions": {"0": {"exp": "gone", "obj_id": 1}}}}}))
    units = {u.video_id: u for u in read_refytvos(tmp_path, 30.0)}
    v1 = units["v1"]
    red, green = v1.expressions
    assert [decode(m).tolist() if m else None for m in red.masks[0]] == \
        [(labels[0] == 1).tolist(), (labels[1] == 1).tolist(), None]
    assert green.masks[0][0] is None and np.array_equal(decode(green.masks[0][1]), labels[1] == 2)
    assert [r[1] for r in v1.rejects] == ["unknown_object_id", "empty_expression"]
    assert units["v2"].reason == "missing_frames" and units["v2"].detail == "v2/00000.png"
