"""The blind models' feature matrix, built and used without whole-matrix copies.

The text-only models (core/blind.py) fit on a hashed sparse matrix of every sampled item's option
rows. Built the plain way, the matrix passes through three or four full copies (hasher chunks,
their stack, the compacted columns, the normalised rows; a canonical copy and per-row byte keys to
find identical rows; a training slice beside the whole matrix and liblinear's own copy of it).
Here every step leaves the same bytes as the plain way (the reported figures are unchanged) while
holding at most one matrix plus what the solver needs:

- :func:`hashed_rows`: each chunk of rows is hashed straight into arrays reserved for the
  feature count (only the pages written become resident); columns are renumbered and rows
  normalised in place;
- :func:`row_classes`: identical rows found through a digest of each row (checked byte for byte
  against the class's first row, so a digest collision cannot merge two rows);
- :class:`SpilledRows`: during the folds the matrix waits in an anonymous temporary file, and a
  fold reads back only the rows it slices, so the solver's copy never sits beside the whole matrix.
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Iterable, Iterator
from hashlib import blake2b
from typing import Any

import numpy as np

HASH_FEATURES = 2**20
HASH_CHUNK = 32  # feature lists hashed at a time: their strings are the largest transient (~1,000 a list)
READ_VALUES = 1 << 18  # stored values read back from the spill at a time (~3 MB)


def hashed_rows(rows: Iterable[list[str]], capacity: int) -> Any:
    """The unit-normalised hashed CSR matrix of ``rows`` (one row per feature list, may be a
    generator), its columns the hash columns in use, renumbered in hash order. ``capacity``: at
    least the total number of feature strings (``feature_count``); the arrays are reserved at that
    size and filled chunk by chunk, so only the pages written are ever resident."""
    from scipy.sparse import csr_matrix
    from sklearn.feature_extraction import FeatureHasher
    from sklearn.preprocessing import normalize

    hasher = FeatureHasher(n_features=HASH_FEATURES, input_type="string", alternate_sign=False)
    data, indices = np.empty(capacity, dtype=np.float64), np.empty(capacity, dtype=np.int32)
    used = np.zeros(HASH_FEATURES, dtype=bool)
    ends, stream, total = [0], iter(rows), 0
    while chunk := list(itertools.islice(stream, HASH_CHUNK)):
        hashed = hasher.transform(chunk).tocsr()
        if total + hashed.nnz > capacity:
            raise ValueError(f"hashed_rows: more than the {capacity} features reserved")
        data[total:total + hashed.nnz], indices[total:total + hashed.nnz] = hashed.data, hashed.indices
        ends.extend((hashed.indptr[1:] + total).tolist())
        used[hashed.indices] = True
        total += hashed.nnz
    data, indices = data[:total], indices[:total]
    renumber = (np.cumsum(used, dtype=np.int32) - 1)
    for begin in range(0, total, 1 << 20):  # in place, a slice at a time
        indices[begin:begin + (1 << 20)] = renumber[indices[begin:begin + (1 << 20)]]
    indptr = np.asarray(ends, dtype=np.int32 if total < 2**31 else np.int64)
    matrix = csr_matrix((data, indices, indptr), shape=(len(ends) - 1, int(used.sum())), copy=False)
    return normalize(matrix, copy=False)  # unit rows: well conditioned, so the solver converges quickly


def row_classes(rows: Any, labels: np.ndarray) -> np.ndarray:
    """Per row of a CSR matrix, a class number shared exactly by the rows with the same label and
    the same stored features and values, numbered in order of first appearance."""
    if not rows.has_canonical_format:  # equal vectors must have equal bytes
        rows = rows.copy()
        rows.sum_duplicates()
    bounds, indices, data = rows.indptr, rows.indices, rows.data
    found = np.empty(rows.shape[0], dtype=np.int64)
    classes: dict[tuple[int, bytes], list[int]] = {}  # (label, digest) -> classes with that digest
    first_row: list[int] = []
    for row, label in enumerate(labels.tolist()):
        start, end = int(bounds[row]), int(bounds[row + 1])
        digest = blake2b(indices[start:end].tobytes(), digest_size=16)
        digest.update(data[start:end].tobytes())
        candidates = classes.setdefault((label, digest.digest()), [])
        found[row] = next((c for c in candidates if _same_row(rows, first_row[c], row)), len(first_row))
        if found[row] == len(first_row):
            candidates.append(len(first_row))
            first_row.append(row)
    return found


def _same_row(rows: Any, a: int, b: int) -> bool:
    bounds = rows.indptr
    sa, sb = slice(bounds[a], bounds[a + 1]), slice(bounds[b], bounds[b + 1])
    return (np.array_equal(rows.indices[sa], rows.indices[sb])
            and rows.data[sa].tobytes() == rows.data[sb].tobytes())


class SpilledRows:
    """A CSR matrix kept in an anonymous temporary file (removed on :meth:`close` or at the end
    of a ``with`` block); :meth:`take`
    returns ``matrix[rows]`` (same rows, same order, same bytes) reading back about ``READ_VALUES``
    stored values of the file at a time. Only the row offsets stay in memory."""

    def __init__(self, matrix: Any) -> None:
        self.shape, self.dtype, self.index_dtype = matrix.shape, matrix.data.dtype, matrix.indices.dtype
        self.indptr = matrix.indptr.astype(np.int64)
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close() / the with block)
        matrix.data.tofile(self.file)
        self.indices_at = self.file.tell()
        matrix.indices.tofile(self.file)

    def _read(self, offset: int, dtype: Any, first: int, count: int) -> np.ndarray:
        self.file.seek(offset + first * np.dtype(dtype).itemsize)
        return np.fromfile(self.file, dtype=dtype, count=count)

    def take(self, rows: np.ndarray) -> Any:
        from scipy.sparse import csr_matrix

        rows = np.asarray(rows, dtype=np.int64)
        lengths = self.indptr[rows + 1] - self.indptr[rows]
        out_ptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=out_ptr[1:])
        data = np.empty(int(out_ptr[-1]), dtype=self.dtype)
        indices = np.empty(int(out_ptr[-1]), dtype=self.index_dtype)
        order = np.argsort(rows, kind="stable")
        for low, high in self._blocks():
            picked = order[np.searchsorted(rows[order], low):np.searchsorted(rows[order], high)]
            if not len(picked):
                continue
            base, count = int(self.indptr[low]), int(self.indptr[high] - self.indptr[low])
            block_data = self._read(0, self.dtype, base, count)
            block_indices = self._read(self.indices_at, self.index_dtype, base, count)
            source = _spans(self.indptr[rows[picked]] - base, lengths[picked])
            target = _spans(out_ptr[picked], lengths[picked])
            data[target], indices[target] = block_data[source], block_indices[source]
        index_type = np.int32 if out_ptr[-1] < 2**31 else np.int64
        return csr_matrix((data, indices, out_ptr.astype(index_type)), shape=(len(rows), self.shape[1]),
                          copy=False)

    def _blocks(self) -> Iterator[tuple[int, int]]:
        """Row ranges of about ``READ_VALUES`` stored values each (at least one row)."""
        low = 0
        while low < self.shape[0]:
            high = int(np.searchsorted(self.indptr, self.indptr[low] + READ_VALUES, side="right")) - 1
            high = min(max(high, low + 1), self.shape[0])
            yield low, high
            low = high

    def close(self) -> None:
        self.file.close()

    def __enter__(self) -> SpilledRows:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _spans(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The positions ``start, start + 1, ..., start + length - 1`` of every span, concatenated."""
    total = int(lengths.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    return offsets + np.arange(total, dtype=np.int64)
