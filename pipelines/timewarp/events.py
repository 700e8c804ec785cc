"""Which timed activities of the kept scenes are events (things a question may name).

An event is a timed activity that starts inside its kept scene's tiled segment. Activities are
*dropped* (kept in the timeline as gaps, with a reason, so that "right after X" never skips
over them) when:

- ``duplicate``: its description occurs more than once (either copy could be seen first);
- ``near_duplicate``: it names the same event as another activity by the word-overlap measure of
  ``templates/timewarp/event_text.yaml`` (Jaccard similarity of content-word sets >= 0.7; both
  are dropped, for the same reason);
- ``same_start``: another activity starts at the same instant (no order between them);
- ``multi_sentence``: the description is more than one sentence (an answer must name one event
  in its own words, not carry a paragraph).

A scene without usable activities adds no event: scene titles never stand in for events.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations

import yaml

from pipelines.core.finevideo import Activity
from pipelines.core.paths import TEMPLATES_DIR

DROP_REASONS = ("duplicate", "near_duplicate", "same_start", "multi_sentence")
_WORD = re.compile(r"[a-z0-9]+")
_SENTENCE_END = re.compile(r"(\S+)[.!?]\s+[A-Z]")


@dataclass(frozen=True, slots=True)
class Event:
    """A timed activity inside a kept scene (``start`` in source seconds); the description has
    no trailing period, so no option stands out by its punctuation. ``dropped`` is empty for an
    event a question may name, else the reason it is only a gap in the timeline."""

    description: str
    start: float
    scene: int  # index of the kept scene it belongs to
    dropped: str = ""


@dataclass(frozen=True)
class TextRules:
    jaccard: float
    stopwords: frozenset[str]
    abbreviations: frozenset[str]


@lru_cache(maxsize=1)
def text_rules() -> TextRules:
    data = yaml.safe_load((TEMPLATES_DIR / "timewarp" / "event_text.yaml").read_text())
    return TextRules(float(data["near_duplicate_jaccard"]), frozenset(data["stopwords"]),
                     frozenset(data["abbreviations"]))


def normal_text(description: str) -> str:
    return " ".join(description.lower().strip().rstrip(".").split())


def content_words(description: str) -> frozenset[str]:
    stopwords = text_rules().stopwords
    return frozenset(w for w in _WORD.findall(description.lower()) if w not in stopwords)


def near_duplicates(a: str, b: str) -> bool:
    """Jaccard similarity of the content-word sets reaches the configured threshold."""
    wa, wb = content_words(a), content_words(b)
    if not wa or not wb:
        return normal_text(a) == normal_text(b)
    return len(wa & wb) / len(wa | wb) >= text_rules().jaccard


def is_multi_sentence(description: str) -> bool:
    """A sentence end (``.``, ``!``, ``?`` then a capital) after a word that is no abbreviation."""
    abbreviations = text_rules().abbreviations
    return any(m.group(1).lower() not in abbreviations and len(m.group(1)) > 1
               and not m.group(1).endswith(".")  # an ellipsis does not end a sentence
               for m in _SENTENCE_END.finditer(description.strip()))


def select_events(scenes: Sequence[tuple[int, float, float, Sequence[Activity]]]) -> tuple[Event, ...]:
    """Every timed activity of ``(scene index, tile start, tile end, activities)`` in play order
    (start time), each an event or a dropped gap (see module docstring)."""
    timed = [(a.start, a.description.strip().rstrip("."), index)
             for index, start, end, activities in scenes for a in activities
             if a.start is not None and start <= a.start < end]
    texts = Counter(normal_text(a.description) for *_, activities in scenes for a in activities)
    starts = Counter(round(s, 3) for s, _, _ in timed)
    near: set[int] = set()
    for (i, (_, a, _)), (j, (_, b, _)) in combinations(enumerate(timed), 2):
        if normal_text(a) != normal_text(b) and near_duplicates(a, b):
            near.update((i, j))
    events = []
    for i, (start, description, scene) in enumerate(timed):
        reason = ("duplicate" if texts[normal_text(description)] > 1 else
                  "near_duplicate" if i in near else
                  "same_start" if starts[round(start, 3)] > 1 else
                  "multi_sentence" if is_multi_sentence(description) else "")
        events.append(Event(description, start, scene, reason))
    return tuple(sorted(events, key=lambda e: (e.start, e.description)))
