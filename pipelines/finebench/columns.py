"""Per-video work units (plain arrays) and the Arrow table of a video's questions.

The question table has the columns of ``schema.MCQ_FEATURES``, in a *compact* form: texts that
repeat (questions, phrases, options, box hints, ...) are produced once per distinct value and the
column is dictionary-encoded (indices into those values), so the per-question cost is array work,
not Python string work, and a video's result is small to pickle (work cache, worker pipes).
:func:`expand` turns compact tables into the plain schema once, before writing.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.core.referring import phrase_for_rank
from pipelines.finebench.context import GenerationContext, answer_option
from pipelines.finebench.keyframes import PersonTable
from pipelines.finebench.schema import MCQ_FEATURES
from pipelines.finebench.units import UnitTable
from pipelines.finebench.vocabulary import CATEGORIES, Template

# Where the three wrong options go when the correct one takes slot s.
WRONG_SLOTS = np.array([[c for c in range(4) if c != s] for s in range(4)])
_SCHEMA = MCQ_FEATURES.arrow_schema
_CATEGORY_TEXTS = pa.array(CATEGORIES, pa.string())
_LETTER_TEXTS = pa.array(list("ABCD"), pa.string())
# t: a true option (NOT form); n: "none of these" shown wrong (none family)
_TIER_TEXTS = pa.array(["a", "b", "c", "t", "n"], pa.string())


@dataclass(frozen=True)
class VideoInput:
    """One video's persons (rows sorted by timestamp, person id) and units (rows point at persons)."""

    video_id: str
    timestamp: np.ndarray
    person_id: np.ndarray
    box: np.ndarray
    action_offsets: np.ndarray
    action_ids: np.ndarray
    unit_person: np.ndarray
    unit_category: np.ndarray
    unit_answer: np.ndarray


def video_inputs(persons: PersonTable, units: UnitTable) -> list[VideoInput]:
    """Split the build's persons and units by video (video id order)."""
    inputs = []
    for video_id, start, end in persons.video_ranges():
        first, last = np.searchsorted(units.person, [start, end])
        offsets = persons.action_offsets[start:end + 1]
        inputs.append(VideoInput(
            video_id, persons.timestamp[start:end], persons.person_id[start:end], persons.box[start:end],
            offsets - offsets[0], persons.action_ids[offsets[0]:offsets[-1]],
            units.person[first:last] - start, units.category[first:last], units.answer[first:last]))
    return inputs


_HINT_START, _HINT_SEPARATOR, _HINT_END = "Pay attention to the region [", ", ", "] in the target frame."
_HINT = _HINT_START + _HINT_SEPARATOR.join(["{:.3f}"] * 4) + _HINT_END
# Corner i's text with the literal before it (and after the last): one of 1001 per coordinate.
_CORNERS = [pa.array([f"{before}{k / 1000:.3f}{after}" for k in range(1001)], pa.string())
            for before, after in ((_HINT_START, ""), (_HINT_SEPARATOR, ""), (_HINT_SEPARATOR, _HINT_END))]


def box_hints(box: np.ndarray) -> pa.Array:
    """"Pay attention to the region [x1, y1, x2, y2] in the target frame." per box, each coordinate
    as ``f"{v:.3f}"``. Coordinates lie in [0, 1], so each corner's text (with the literal around
    it) is one of 1001, looked up by thousandths and joined (four pieces a row); a box with a value
    within 1e-6 of a rounding tie is formatted by Python instead."""
    scaled = box.reshape(-1, 4) * 1000.0
    thousandths = np.rint(scaled).astype(np.int64)
    tables = (_CORNERS[0], _CORNERS[1], _CORNERS[1], _CORNERS[2])
    corners = [table.take(pa.array(thousandths[:, i])) for i, table in enumerate(tables)]
    hints = pc.binary_join_element_wise(*corners, "")
    near_tie = (np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6).any(axis=1)
    if near_tie.any():
        exact = [_HINT.format(*values) for values in box.reshape(-1, 4)[near_tie].tolist()]
        hints = pc.replace_with_mask(hints, pa.array(near_tie), pa.array(exact, pa.string()))
    return hints


def dense_unique(values: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` for integers in ``[0, size)``, by a presence
    mask instead of a sort (the sizes here are small: persons of a video, templates x phrases)."""
    present = np.zeros(size, dtype=bool)
    present[values] = True
    return np.flatnonzero(present), (np.cumsum(present) - 1)[values]


def _take(texts: pa.Array | list[str], codes: np.ndarray) -> pa.DictionaryArray:
    """``texts[codes]``, dictionary-encoded; a large dictionary keeps only the texts used (small
    pickles for the work cache and worker pipes)."""
    if not isinstance(texts, pa.Array):
        texts = pa.array(texts, pa.string())
    codes = np.asarray(codes, dtype=np.int64).ravel()
    if len(texts) > 64:
        used, codes = dense_unique(codes, len(texts))
        texts = texts.take(pa.array(used))
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), texts)


def _lists(flat: pa.Array, lengths: np.ndarray) -> pa.Array:
    offsets = np.zeros(len(lengths) + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets), flat)


def _decode(chunk: pa.Array) -> pa.Array:
    """A chunk with dictionary-encoded strings (also inside lists) turned into plain strings."""
    kind = chunk.type
    if pa.types.is_dictionary(kind):
        return chunk.dictionary_decode()
    if pa.types.is_fixed_size_list(kind) and pa.types.is_dictionary(kind.value_type):
        return pa.FixedSizeListArray.from_arrays(chunk.flatten().dictionary_decode(), kind.list_size)
    if pa.types.is_list(kind) and pa.types.is_dictionary(kind.value_type):
        offsets = pc.subtract(chunk.offsets, chunk.offsets[0])
        return pa.ListArray.from_arrays(offsets, chunk.flatten().dictionary_decode())
    return chunk


def expand(table: pa.Table, schema: pa.Schema = _SCHEMA) -> pa.Table:
    """Compact question tables (concatenated) -> the plain ``schema`` (dictionary-decoded)."""
    columns = [pa.chunked_array([_decode(c) for c in table.column(f.name).chunks], f.type)
               if table.column(f.name).num_chunks else pa.chunked_array([], f.type) for f in schema]
    return pa.Table.from_arrays(columns, schema=schema)


@functools.lru_cache(maxsize=65536)
def _render(template: Template, referring_phrase: str) -> str:
    return template.render(referring_phrase)


def unit_keys(video: VideoInput) -> pa.Array:
    """``<video>/<tttt>/<person>/<category>`` of every unit (questions.unit_key, column-wise)."""
    stamps = pc.utf8_lpad(pc.cast(pa.array(video.timestamp[video.unit_person]), pa.string()), 4, "0")
    persons = pc.cast(pa.array(video.person_id[video.unit_person]), pa.string())
    categories = _CATEGORY_TEXTS.take(pa.array(video.unit_category))
    return pc.binary_join_element_wise(video.video_id, stamps, persons, categories, "/")


def question_table(ctx: GenerationContext, video: VideoInput, accepted: np.ndarray, answer: np.ndarray,
                   keys: pa.Array, template: np.ndarray, slot: np.ndarray, wrong: np.ndarray,
                   tiers: np.ndarray, extra_texts: list[str], ranks: np.ndarray, counts: np.ndarray
                   ) -> pa.Table:
    """The accepted units' rows, in unit order (see schema.py for the columns).

    ``answer`` holds the accepted units' answer codes (indices in ``ctx.answers``); ``wrong`` holds
    option codes: below ``len(ctx.option_texts)`` they index it, above they index ``extra_texts``
    (options made by the fallback path)."""
    n = len(accepted)
    person = video.unit_person[accepted]
    used_persons, person_index = dense_unique(person, len(video.timestamp))
    template = template[accepted]
    truth = answer_option(ctx, ctx.template_style[template], answer)
    options = np.empty((n, 4), dtype=np.int64)
    rows = np.arange(n)
    options[rows, slot] = truth
    options[rows[:, None], WRONG_SLOTS[slot]] = wrong
    texts = (pa.concat_arrays([ctx.option_texts, pa.array(extra_texts, pa.string())]) if extra_texts
             else ctx.option_texts)

    span = int(counts.max(initial=0)) + 1
    rank_count, phrase_code = dense_unique(ranks[person] * span + counts[person], span * span)
    phrases = [phrase_for_rank(rc // span, rc % span) for rc in rank_count.tolist()]
    width = max(len(phrases), 1)
    pairs, pair_index = dense_unique(template * width + phrase_code, len(ctx.templates) * width)
    questions = [_render(ctx.templates[p // width], phrases[p % width]) for p in pairs.tolist()]

    sizes = ctx.answer_size[answer]
    starts = np.repeat(ctx.answer_starts[answer] - np.r_[0, np.cumsum(sizes)[:-1]], sizes)
    truth_ids = ctx.answer_actions[starts + np.arange(int(sizes.sum()))]
    frame_offsets = np.array(ctx.params.frames.times(0.0))
    times = (video.timestamp[person].astype(np.float64)[:, None] + frame_offsets[None, :]).astype(np.float32)
    columns = {
        "id": pc.replace_substring(keys.take(pa.array(accepted)), "/", "_"),
        "video_id": pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)),
                                                   pa.array([video.video_id])),
        "timestamp": pa.array(video.timestamp[person].astype(np.int32)),
        "person_id": pa.array(video.person_id[person].astype(np.int32)),
        "bbox": pa.FixedSizeListArray.from_arrays(pa.array(video.box[person].astype(np.float32).ravel()), 4),
        "num_persons": pa.array(counts[person].astype(np.int32)),
        "person_rank": pa.array(ranks[person].astype(np.int32)),
        "referring_phrase": _take(phrases, phrase_code),
        "category": _take(_CATEGORY_TEXTS, video.unit_category[accepted]),
        "action_ids": _lists(pa.array(truth_ids.astype(np.int32)), sizes),
        "action_names": _lists(_take(ctx.action_names, truth_ids), sizes),
        "is_compound": pa.array(sizes > 1),
        "template_id": _take(ctx.template_ids, template),
        "question": _take(questions, pair_index),
        "options": pa.FixedSizeListArray.from_arrays(_take(texts, options), 4),
        "answer": _take(_LETTER_TEXTS, slot),
        "answer_text": _take(ctx.option_texts, truth),
        "distractor_tiers": pa.FixedSizeListArray.from_arrays(_take(_TIER_TEXTS, tiers), 3),
        "box_hint": pa.DictionaryArray.from_arrays(pa.array(person_index.astype(np.int32)),  # all used
                                                   box_hints(video.box[used_persons])),
        "frame_times": _lists(pa.array(times.ravel()), np.full(n, len(frame_offsets))),
        "frame_keys": _lists(pa.array([], pa.string()), np.zeros(n, np.int64)),
        "in_subset": pa.array(np.zeros(n, dtype=bool)),
    }
    return pa.Table.from_arrays([columns[f.name] for f in _SCHEMA], names=_SCHEMA.names)
