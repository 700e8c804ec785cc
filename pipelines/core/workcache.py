"""Resumable work units: finished units are stored under a fingerprinted work folder.

The fingerprint hashes everything that can change a unit's result (parameters, input checksums,
code version), so a re-run after a crash reuses exactly the units that are still valid and a
changed run never reads stale ones. Each unit is one pickle written atomically.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
from pathlib import Path
from typing import Any

from pipelines.core.atomic import write_bytes


def fingerprint(*parts: Any) -> str:
    payload = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(payload).hexdigest()[:16]


class WorkCache:
    def __init__(self, build_dir: Path, key: str) -> None:
        self.root = build_dir / ".work" / key

    def _path(self, unit: str) -> Path:
        return self.root / (hashlib.sha1(unit.encode()).hexdigest() + ".pkl")

    def get(self, unit: str) -> Any | None:
        path = self._path(unit)
        if not path.exists():
            return None
        with open(path, "rb") as handle:
            return pickle.load(handle)

    def put(self, unit: str, value: Any) -> None:
        write_bytes(self._path(unit), pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

    def clear(self) -> None:
        shutil.rmtree(self.root.parent, ignore_errors=True)
