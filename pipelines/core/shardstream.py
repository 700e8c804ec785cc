"""Shards written from a stream of rows, byte-identical to :func:`pipelines.core.shards.write_shards`.

:func:`~pipelines.core.shards.write_shards` needs the whole table; a streamed build (see
:mod:`pipelines.core.streamed`) knows each config's row count from a counting pass, then feeds rows
unit by unit. :class:`ShardStream` keeps at most one row group (<= 50,000 rows) in memory, and only
while writing it, and writes the same files: same names, same shard and row-group boundaries
(a row group is one single-chunk table, as a slice of the whole table is), same writer options,
each shard under a temporary name renamed when complete, stale shards removed at the end. The
row group being filled waits in an anonymous temporary file (Arrow IPC), not in memory.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq
from datasets import Features

from pipelines.core.atomic import output_faults, temp_path_for
from pipelines.core.shards import (
    DEFAULT_ROWS_PER_SHARD,
    ROW_GROUP_ROWS,
    WRITE_OPTIONS,
    ShardSet,
    remove_stale,
    shard_name,
    write_shards,
)

BATCH_ROWS = 256  # rows converted to Arrow at a time


class ShardStream:
    """Write ``total`` rows of one (config, split) as they come (:meth:`add`), then :meth:`close`.

    Adding more or fewer than ``total`` rows is an error (the file names carry the shard count)."""

    def __init__(self, root: Path, config: str, split: str, features: Features, total: int,
                 rows_per_shard: int = DEFAULT_ROWS_PER_SHARD) -> None:
        self.root, self.config, self.split, self.features = root, config, split, features
        self.schema = features.arrow_schema
        self.total, self.rows_per_shard = total, rows_per_shard
        self.count = max(1, -(-total // rows_per_shard))
        self.out_dir = root / "data" / config
        self.seen = 0  # rows added so far
        self.batch: list[dict[str, Any]] = []  # rows not yet converted to Arrow (< BATCH_ROWS)
        self.spill: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close/abort)
        self.spill_writer: pa.ipc.RecordBatchStreamWriter | None = None  # the row group being filled
        self.pending_rows = 0
        self.writer: pq.ParquetWriter | None = None
        self.shard = -1  # index of the open shard
        self.written: list[Path] = []
        self.flushed = 0  # rows handed to the parquet writer (whole row groups)

    def add(self, rows: Sequence[dict[str, Any]]) -> None:
        """Append ``rows`` (dicts holding at least the feature names), in order."""
        if self.seen + len(rows) > self.total:
            raise ValueError(f"{self.config}: more rows than the {self.total} counted")
        self.seen += len(rows)
        self.batch.extend(rows)
        while self.batch and (len(self.batch) >= BATCH_ROWS or self.seen == self.total
                              or self.pending_rows + len(self.batch) >= self._group_rows()):
            self._take_batch()

    def _take_batch(self) -> None:
        """Move plain rows into the row group, as Arrow columns spilled to a temporary file (a
        few units' rows at a time: a table per unit would cost Arrow's per-buffer overhead for
        every unit), so a row group of up to 50,000 rows is in memory only while it is written."""
        room = self._group_rows() - self.pending_rows
        rows, self.batch = self.batch[:room], self.batch[room:]
        names = self.schema.names
        if self.spill_writer is None:
            self.spill_writer = pa.ipc.new_stream(self.spill, self.schema)
        self.spill_writer.write_table(pa.Table.from_pydict({n: [row[n] for row in rows] for n in names},
                                                           schema=self.schema))
        self.pending_rows += len(rows)
        if self.pending_rows == self._group_rows():
            self._flush()

    def close(self) -> ShardSet:
        """Finish the last shard, remove stale ones, and say what was written."""
        if self.seen != self.total:
            raise ValueError(f"{self.config}: {self.seen} rows added, {self.total} counted")
        if self.total == 0:  # one empty shard, exactly as the whole-table writer makes it
            return write_shards(self.root, self.config, self.split, [], self.features, self.rows_per_shard)
        self.spill.close()
        remove_stale(self.out_dir, self.split, self.written)
        return ShardSet(self.config, self.split, list(self.written), self.total)

    def abort(self) -> None:
        """Drop the shard being written (its temporary file) after an error."""
        self.spill.close()
        if self.writer is not None:
            self.writer.close()
            temp_path_for(self._target()).unlink(missing_ok=True)
            self.writer = None

    def _shard_rows(self, shard: int) -> int:
        return min(self.rows_per_shard, self.total - shard * self.rows_per_shard)

    def _group_rows(self) -> int:
        """Rows of the row group being filled (the last one of a shard may be shorter)."""
        shard = self.flushed // self.rows_per_shard
        in_shard = self.flushed - shard * self.rows_per_shard
        size = min(self._shard_rows(shard), ROW_GROUP_ROWS)
        return min(size, self._shard_rows(shard) - in_shard)

    def _target(self) -> Path:
        return self.out_dir / shard_name(self.split, self.shard, self.count)

    def _flush(self) -> None:
        assert self.spill_writer is not None
        self.spill_writer.close()
        self.spill.seek(0)
        group = pa.ipc.open_stream(self.spill).read_all().combine_chunks()
        self.spill.seek(0)
        self.spill.truncate()
        self.spill_writer, self.pending_rows = None, 0
        shard = self.flushed // self.rows_per_shard
        if shard != self.shard:
            self.shard = shard
            with output_faults(self._target()):
                self.out_dir.mkdir(parents=True, exist_ok=True)
                self.writer = pq.ParquetWriter(temp_path_for(self._target()), self.schema, **WRITE_OPTIONS)
        assert self.writer is not None
        with output_faults(self._target()):
            self.writer.write_table(group, row_group_size=group.num_rows)
        self.flushed += group.num_rows
        del group
        pa.default_memory_pool().release_unused()  # else the next config's row group adds to it
        if self.flushed - shard * self.rows_per_shard == self._shard_rows(shard):
            self.writer.close()
            self.writer = None
            with output_faults(self._target()):
                os.replace(temp_path_for(self._target()), self._target())
            self.written.append(self._target())
