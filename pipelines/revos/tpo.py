"""TPO-style textualised vision-task instructions: one record per (task, sample), pure functions.

- temporal grounding (FineVideo scene): query = the scene title (its narrative when untitled) ->
  the scene's start/end. Rejects: ``missing_timestamps``, ``bad_span`` (end <= start),
  ``empty_description``, ``duplicate_query`` (two scenes of a video with the same text: the
  answer would be ambiguous), ``trivial_span`` (one scene covers the whole video).
- tracking (AVA person_id): keyframes of one person, split where consecutive keyframes are more
  than ``max_track_gap`` apart, cut into windows of ``track_keyframes``; the first box is the
  prompt, the following boxes in time order are the target. Rejects: ``single_keyframe``.
- spatial grounding (AVA keyframe x person): the referring phrase of core.referring -> the box.
  Rejects: ``ambiguous_reference`` (centre too close to a neighbour's).
- referring segmentation (ReVOS / MeViS / Ref-YouTube-VOS expression): expression -> one [SEG]
  whose masks are every non-empty mask of the referred objects; ``mask_source`` says "rle", or
  "unavailable" when the source ships no masks (``mask_ref`` still names them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pipelines.core.ava import AvaRow
from pipelines.core.finevideo import VideoMeta
from pipelines.core.referring import DEFAULT_MAX_OVERLAP, phrase_for_rank, rank_people
from pipelines.core.rng import UnitRng
from pipelines.revos.config import RevosParams
from pipelines.revos.convention import box_text, seconds, track_text
from pipelines.revos.model import Expression, VideoUnit
from pipelines.revos.pix import MaskList, presence
from pipelines.revos.templates import pool

Row = dict[str, Any]
Rejects = list[tuple[str, str, str]]


def _phrase(task: str, rng: UnitRng, **fields: Any) -> tuple[str, str, str]:
    """(template id, prompt, answer) for ``task`` with a phrasing drawn by ``rng``."""
    texts = pool("tpo")
    index = rng.below(len(texts[task]))
    return f"{task}/{index}", texts[task][index].format(**fields), texts["answers"][task].format(**fields)


def temporal_grounding(meta: VideoMeta, params: RevosParams) -> tuple[list[Row], Rejects]:
    rows: list[Row] = []
    rejects: Rejects = []
    queries = [(s.title or s.narrative).strip() for s in meta.scenes]
    for index, (scene, query) in enumerate(zip(meta.scenes, queries, strict=True)):
        key = f"finevideo/{meta.video_id}/scene{index}"
        if scene.start is None or scene.end is None:
            rejects.append((key, "missing_timestamps", "scene start or end is null"))
        elif scene.end <= scene.start:
            rejects.append((key, "bad_span", f"end {scene.end} <= start {scene.start}"))
        elif not query:
            rejects.append((key, "empty_description", "no title or narrative"))
        elif queries.count(query) > 1:
            rejects.append((key, "duplicate_query", query[:80]))
        elif meta.duration and scene.end - scene.start >= params.trivial_scene_share * meta.duration:
            length = scene.end - scene.start
            rejects.append((key, "trivial_span", f"covers {length:.1f}s of {meta.duration}s"))
        else:
            template, prompt, answer = _phrase(
                "temporal_grounding", UnitRng(params.seed, f"{key}/phrase"), query=query,
                start=seconds(scene.start), end=seconds(scene.end))
            rows.append({"id": key, "task": "temporal_grounding", "source": "finevideo",
                         "video_id": meta.video_id, "video": f"{meta.video_id}.mp4",
                         "template_id": template, "prompt": prompt, "answer": answer, "query": query,
                         "start": scene.start, "end": scene.end})
    return rows, rejects


def _person_boxes(rows: Sequence[AvaRow]) -> dict[int, dict[int, tuple[float, ...]]]:
    """person_id -> timestamp -> box (rows repeat a box once per action)."""
    people: dict[int, dict[int, tuple[float, ...]]] = {}
    for row in rows:
        people.setdefault(row.person_id, {})[row.timestamp] = row.box
    return people


def tracking(video_id: str, rows: Sequence[AvaRow], params: RevosParams) -> tuple[list[Row], Rejects]:
    out: list[Row] = []
    rejects: Rejects = []
    for person, boxes in sorted(_person_boxes(rows).items()):
        stamps = sorted(boxes)
        runs: list[list[int]] = [[stamps[0]]]
        for stamp in stamps[1:]:
            if stamp - runs[-1][-1] > params.max_track_gap:
                runs.append([])
            runs[-1].append(stamp)
        for run in runs:
            for offset in range(0, len(run), params.track_keyframes):
                window = run[offset:offset + params.track_keyframes]
                key = f"ava/{video_id}/person{person}/{window[0]}"
                if len(window) < 2:
                    rejects.append((key, "single_keyframe", "nothing to follow after the first box"))
                    continue
                times = [float(t) for t in window[1:]]
                targets = [list(boxes[t]) for t in window[1:]]
                template, prompt, answer = _phrase(
                    "tracking", UnitRng(params.seed, f"{key}/phrase"), box=box_text(boxes[window[0]]),
                    time=seconds(window[0]), boxes=track_text(times, targets))
                out.append({"id": key, "task": "tracking", "source": "ava", "video_id": video_id,
                            "video": video_id, "template_id": template, "prompt": prompt,
                            "answer": answer, "person_id": person, "init_time": float(window[0]),
                            "init_box": list(boxes[window[0]]), "track_times": times,
                            "track_boxes": targets})
    return out, rejects


def spatial_grounding(video_id: str, rows: Sequence[AvaRow], params: RevosParams
                      ) -> tuple[list[Row], Rejects]:
    out: list[Row] = []
    rejects: Rejects = []
    by_stamp: dict[int, dict[int, tuple[float, ...]]] = {}
    for person, boxes in _person_boxes(rows).items():
        for stamp, box in boxes.items():
            by_stamp.setdefault(stamp, {})[person] = box
    for stamp in sorted(by_stamp):
        people = sorted(by_stamp[stamp])
        ranks = rank_people([by_stamp[stamp][p] for p in people], params.min_center_gap)  # type: ignore[misc]
        for person, (rank, clear) in zip(people, ranks, strict=True):
            key = f"ava/{video_id}/{stamp}/person{person}"
            if not clear:
                rejects.append((key, "ambiguous_reference", f"{len(people)} persons, centre gap < "
                                f"{params.min_center_gap} or horizontal overlap > {DEFAULT_MAX_OVERLAP}"))
                continue
            phrase = phrase_for_rank(rank, len(people))
            box = by_stamp[stamp][person]
            template, prompt, answer = _phrase("spatial_grounding", UnitRng(params.seed, f"{key}/phrase"),
                                               phrase=phrase, time=seconds(stamp), box=box_text(box))
            out.append({"id": key, "task": "spatial_grounding", "source": "ava", "video_id": video_id,
                        "video": video_id, "template_id": template, "prompt": prompt, "answer": answer,
                        "phrase": phrase, "person_id": person, "time": float(stamp), "box": list(box),
                        "persons_in_frame": len(people)})
    return out, rejects


def referring_segmentation(video: VideoUnit, expression: Expression, params: RevosParams) -> Row:
    key = video.expression_key(expression.exp_id)
    masks = MaskList(video)
    seg = [masks.add(i, f, expression) for i, seen in enumerate(presence(video, expression))
           for f, shown in enumerate(seen) if shown]
    template, prompt, answer = _phrase("referring_segmentation", UnitRng(params.seed, f"{key}/phrase"),
                                       expression=expression.text, seg=params.tokens.seg)
    return {"id": f"{key}/refseg", "task": "referring_segmentation", "source": video.dataset,
            "video_id": video.video_id, "video": f"JPEGImages/{video.video_id}", "frames": list(video.frames),
            "template_id": template, "prompt": prompt, "answer": answer, "expression_id": expression.exp_id,
            "expression": expression.text, "objects": list(expression.object_ids),
            "type_id": expression.type_id if expression.type_id is not None else -1,
            "mask_source": "rle" if expression.has_masks else "unavailable",
            "mask_ref": f"{video.key}/{expression.exp_id}", "masks": masks.entries, "seg_masks": [seg]}
