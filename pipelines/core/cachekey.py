"""A content key per config, written into the card so ``datasets`` never serves a stale cache.

``datasets`` (4.x and 5.x) caches a local folder under a hash of the card's YAML (the ``configs``
entries with their data-file *patterns*, and ``dataset_info``), not of the files: a rebuild into
the same folder with the same card header reuses the old cache (stale rows), and
``download_mode="force_redownload"`` then fails with ``NonMatchingSplitsSizesError`` against the old
split sizes it kept. Each config's ``description`` in the YAML header carries
:func:`config_digests` of its shards, so new content means a new cache entry and the plain
``load_dataset(folder, config)`` always returns the current rows.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def config_digests(build_dir: Path) -> dict[str, str]:
    """``{config: first 16 hex of sha256 over its shard files (names and bytes, sorted)}``."""
    digests = {}
    for folder in sorted(p for p in (build_dir / "data").glob("*") if p.is_dir()):
        digest = hashlib.sha256()
        for shard in sorted(folder.glob("*.parquet")):
            digest.update(shard.name.encode() + b"\0")
            with open(shard, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
        digests[folder.name] = digest.hexdigest()[:16]
    return digests
