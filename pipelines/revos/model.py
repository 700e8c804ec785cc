"""Plain records the revos readers produce and every later stage reads.

A :class:`VideoUnit` is one video of one referring dataset (ReVOS, MeViS, Ref-YouTube-VOS) with
its frame names, frame times and the expressions that passed the readers' checks; expressions that
failed are listed in ``rejects`` as ``(unit key, reason, detail)``. An :class:`Expression` carries
one mask list per referred object, aligned with the video's frames (``None`` = no mask on that
frame), or no masks at all when the source has none (``masks == ()``, the text side only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from pipelines.core.masks import MaskPresence, ObjectMasks, Rle

RejectTuple = tuple[str, str, str]


@dataclass(frozen=True)
class Expression:
    exp_id: str
    text: str
    object_ids: tuple[str, ...]
    masks: tuple[tuple[Rle | None, ...], ...] = ()
    type_id: int | None = None  # ReVOS: 0 referring, 1 reasoning

    @property
    def has_masks(self) -> bool:
        return bool(self.masks)

    @cached_property
    def presence(self) -> tuple[tuple[bool, ...], ...]:
        """Per object, per frame: is the object there (MaskPresence: a non-empty mask)? Computed
        once per expression; every task reads it."""
        if not self.masks:
            return ()
        frames = tuple(float(i) for i in range(len(self.masks[0])))
        source = MaskPresence([ObjectMasks("", f"{i:04d}", frames, masks)
                               for i, masks in enumerate(self.masks)])
        return tuple(track.present for track in source.tracks(""))


@dataclass(frozen=True)
class VideoUnit:
    dataset: str  # "revos" | "mevis" | "refytvos"
    split: str
    video_id: str
    frames: tuple[str, ...]
    times: tuple[float, ...]
    expressions: tuple[Expression, ...]
    rejects: tuple[RejectTuple, ...] = ()
    frame_dir: str | None = None  # folder holding <frame>.jpg, when frames were given
    size: tuple[int, int] | None = None  # (height, width) of the masks

    @property
    def key(self) -> str:
        return f"{self.dataset}/{self.split}/{self.video_id}" if self.split else \
            f"{self.dataset}/{self.video_id}"

    def expression_key(self, exp_id: str) -> str:
        return f"{self.key}/{exp_id}"

    @property
    def expressions_in(self) -> int:
        return len(self.expressions) + len(self.rejects)


@dataclass(frozen=True)
class VideoReject:
    """A whole video refused by a reader; each of its expressions is rejected with its reason."""

    dataset: str
    split: str
    video_id: str
    reason: str
    detail: str
    expression_ids: tuple[str, ...] = field(default_factory=tuple)

    @property
    def key(self) -> str:
        return f"{self.dataset}/{self.split}/{self.video_id}" if self.split else \
            f"{self.dataset}/{self.video_id}"
