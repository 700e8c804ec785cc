"""Trim a video to its leading scenes and fix scene bounds so that scenes tile the clip.

Scene bounds: a scene's own ``timestamps`` when both ends parse and ``start < end``; otherwise the
span of its timed activities (first start to last end). Trimming walks the scenes in listed order
and stops at the first scene that (a) has no usable times, (b) starts before the previous kept
scene starts (out of order), (c) ends after the cap (105 s by default), or (d) would be shorter
than ``min_scene_seconds`` once tiled. At least two kept scenes are required.

Tiling (how gaps and overlaps are handled): kept scene i covers ``[b_i, b_{i+1})`` where ``b_i`` is
scene i's start and the last boundary is the last scene's end, clipped to the video duration. A gap
between two scenes therefore belongs to the earlier scene and an overlap is cut from the earlier
scene. The segments cover the clip exactly once, so shuffled and reversed renders contain the same
frames as the normal render, only in another order.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.core.finevideo import RawScene, VideoMeta


@dataclass(frozen=True, slots=True)
class Event:
    """A timed activity inside a kept scene (``start`` in source seconds); the description has
    no trailing period, so no option stands out by its punctuation."""

    description: str
    start: float
    scene: int  # index of the kept scene it belongs to


@dataclass(frozen=True, slots=True)
class Scene:
    index: int
    title: str
    start: float
    end: float
    text: str  # scene-level caption: title and activity descriptions


@dataclass(frozen=True)
class TrimmedVideo:
    video_id: str
    scenes: tuple[Scene, ...]
    events: tuple[Event, ...]
    stop_reason: str  # why trimming stopped ("all_scenes_kept", "scene_ends_after_cap", ...)

    @property
    def clip_start(self) -> float:
        return self.scenes[0].start

    @property
    def clip_end(self) -> float:
        return self.scenes[-1].end

    @property
    def caption(self) -> str:
        """Composite caption: the kept scenes' texts in order."""
        return " ".join(f"Scene {s.index + 1}: {s.text}" for s in self.scenes)


def scene_bounds(scene: RawScene) -> tuple[float, float] | None:
    if scene.start is not None and scene.end is not None and scene.start < scene.end:
        return scene.start, scene.end
    starts = [a.start for a in scene.activities if a.start is not None]
    ends = [a.end for a in scene.activities if a.end is not None]
    if starts and ends and min(starts) < max(ends):
        return min(starts), max(ends)
    return None


def scene_text(scene: RawScene) -> str:
    parts = [a.description.rstrip(".") for a in scene.activities]
    title = scene.title.rstrip(".")
    if not parts:
        return f"{title}." if title else ""
    return (f"{title}: " if title else "") + "; ".join(parts) + "."


def trim(meta: VideoMeta, cap_seconds: float = 105.0, min_scene_seconds: float = 1.0
         ) -> TrimmedVideo | tuple[str, str]:
    """The trimmed video, or ``(reason, detail)`` when fewer than two scenes survive."""
    if not meta.scenes:
        return "no_scenes", "metadata lists no scenes"
    kept: list[tuple[RawScene, float, float]] = []
    stop = "all_scenes_kept"
    for raw in meta.scenes:
        bounds = scene_bounds(raw)
        if bounds is None:
            stop = "missing_timestamps"
            break
        start, end = bounds
        if meta.duration is not None:
            end = min(end, meta.duration)
        if kept and start < kept[-1][1]:
            stop = "scenes_out_of_order"
            break
        if end > cap_seconds:
            stop = "scene_ends_after_cap"
            break
        if end - start < min_scene_seconds or (kept and start - kept[-1][1] < min_scene_seconds):
            stop = "scene_too_short"
            break
        if not scene_text(raw):
            stop = "scene_without_text"
            break
        kept.append((raw, start, end))
    if len(kept) < 2:
        reason = "too_few_scenes" if stop in ("scene_ends_after_cap", "all_scenes_kept") else \
            {"missing_timestamps": "missing_timestamps", "scene_too_short": "bad_timestamps",
             "scenes_out_of_order": "bad_timestamps", "scene_without_text": "missing_text"}[stop]
        return reason, f"{len(kept)} scene(s) kept; trimming stopped: {stop}"
    scenes = []
    for index, (raw, start, end) in enumerate(kept):
        tiled_end = kept[index + 1][1] if index + 1 < len(kept) else end
        scenes.append(Scene(index, raw.title, start, tiled_end, scene_text(raw)))
    return TrimmedVideo(meta.video_id, tuple(scenes), _events(kept, scenes), stop)


def _normal_text(description: str) -> str:
    return " ".join(description.lower().strip().rstrip(".").split())


def _events(kept: list[tuple[RawScene, float, float]], scenes: list[Scene]) -> tuple[Event, ...]:
    """Timed activities that start inside their kept scene's tiled segment.

    A description that occurs more than once among the kept scenes' activities is never an event:
    in a shuffled clip either copy could be seen first, so a question about it would have no
    single answer. Likewise activities that start at the same instant have no order and are
    dropped. A scene without usable activities contributes itself (its title) as one event at its
    start.
    """
    counts: dict[str, int] = {}
    for raw, _, _ in kept:
        for activity in raw.activities:
            key = _normal_text(activity.description)
            counts[key] = counts.get(key, 0) + 1
    starts: dict[float, int] = {}
    for raw, _, _ in kept:
        for activity in raw.activities:
            if activity.start is not None:
                starts[round(activity.start, 3)] = starts.get(round(activity.start, 3), 0) + 1
    events: list[Event] = []
    for (raw, _, _), scene in zip(kept, scenes, strict=True):
        inside = sorted((a.start, a.description) for a in raw.activities
                        if a.start is not None and scene.start <= a.start < scene.end
                        and counts[_normal_text(a.description)] == 1 and starts[round(a.start, 3)] == 1)
        if not inside and scene.title and _normal_text(scene.title) not in counts:
            inside = [(scene.start, scene.title)]
        events.extend(Event(description.strip().rstrip("."), start, scene.index)
                      for start, description in inside)
    return tuple(events)
