"""The inputs of a timewarp build: FineVideo metadata (a folder of JSON files or parquet shards)
and, optionally, a folder of source videos to render from."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from pipelines.core.atomic import write_bytes
from pipelines.core.finevideo import MetaReject, VideoMeta, read_metadata
from pipelines.core.manifest import sha256_file


@dataclass(frozen=True)
class TimewarpInputs:
    finevideo: Path
    videos: Path | None = None  # folder with <video_id>.mp4 files to render from


def input_checksums(location: Path) -> dict[str, str]:
    """sha256 per metadata file (name -> sum)."""
    files = [location] if location.is_file() else sorted(
        p for p in location.iterdir() if p.suffix in (".json", ".parquet"))
    return {p.name: sha256_file(p) for p in files}


def read_units(source: Path, spill_root: Path | None) -> tuple[list[VideoMeta | MetaReject], Path | None]:
    """Metadata units; with ``spill_root``, videos embedded in parquet rows (``mp4`` column) are
    written to ``<spill_root>/.work/videos/<video_id>.mp4`` as they stream by (memory stays bounded)
    and that folder is returned for rendering."""
    if spill_root is None:
        return list(read_metadata(source)), None
    folder = spill_root / ".work" / "videos"
    metas: list[VideoMeta | MetaReject] = []
    spilled = False
    for meta in read_metadata(source, with_video=True):
        if isinstance(meta, VideoMeta) and meta.video_bytes:
            write_bytes(folder / f"{meta.video_id}.mp4", meta.video_bytes)
            meta = dataclasses.replace(meta, video_bytes=None)
            spilled = True
        metas.append(meta)
    return metas, folder if spilled else None
