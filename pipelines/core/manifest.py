"""The build manifest: everything needed to reproduce and audit one build.

``manifest.json`` holds the recipe, version, seed, parameters, code version, the sha256 of every
input file and of every output file, and the per-stage counts of the ledger. It contains no
timestamps or host names, so two identical builds produce identical manifests.
"""

from __future__ import annotations

import functools
import hashlib
import subprocess
from pathlib import Path
from typing import Any

import pipelines
from pipelines.core.accounting import Ledger, jsonl_of
from pipelines.core.atomic import write_json, write_text
from pipelines.core.buildindex import write_index
from pipelines.core.errors import InputError
from pipelines.core.redact import redact

CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """sha256 of a file. A build hashes each input twice (work-cache fingerprint, then the
    manifest), and inputs can be gigabytes of parquet, so results are memoised per
    (path, size, modification time): an unchanged file is read once. A file that cannot be read
    (permission, I/O error) is one-line :class:`InputError` naming it, never blamed on the output."""
    try:
        stat = path.stat()
        return _sha256(str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    except OSError as err:
        raise InputError(path, f"cannot be read ({err.strerror or type(err).__name__})") from None


@functools.lru_cache(maxsize=4096)
def _sha256(path: str, _size: int, _mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def describe_input(path: Path | None) -> dict[str, Any] | None:
    """Path and sha256 of an input file; for a folder, the sha256 of its files' names and sums."""
    if path is None:
        return None
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
        listing = "".join(f"{p.name}\t{sha256_file(p)}\n" for p in files)
        return {"path": str(path), "files": len(files),
                "sha256": hashlib.sha256(listing.encode()).hexdigest()}
    return {"path": str(path), "sha256": sha256_file(path)}


def code_version() -> str:
    """Package version plus the git commit of the checkout (``+dirty`` when modified)."""
    root = Path(pipelines.__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"],
                                capture_output=True, text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "pipelines",
                                "templates", "similarity_maps", "data_cards"],
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return pipelines.__version__
    return f"{pipelines.__version__}+g{commit}{'.dirty' if dirty else ''}"


def output_files(build_dir: Path) -> dict[str, str]:
    """sha256 of every published file below ``build_dir`` (hidden work dirs excluded), the data
    card included: it is written before the manifest, and push checks it like any other file."""
    files: dict[str, str] = {}
    for path in sorted(build_dir.rglob("*")):
        rel = path.relative_to(build_dir)
        if path.is_file() and not any(part.startswith(".") for part in rel.parts) \
                and rel.as_posix() != "manifest.json":
            files[rel.as_posix()] = sha256_file(path)
    return files


def write_manifest(build_dir: Path, *, recipe: str, version: str, seed: int,
                   params: dict[str, Any], inputs: dict[str, Path | None], ledger: Ledger,
                   extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write ``rejects.jsonl`` and ``manifest.json``; return the manifest dict."""
    write_text(build_dir / "rejects.jsonl", redact(jsonl_of(ledger.rejects)))
    manifest: dict[str, Any] = {
        "recipe": recipe,
        "version": version,
        "seed": seed,
        "code_version": code_version(),
        "params": params,
        "inputs": {name: describe_input(path) for name, path in inputs.items()},
        "counts": ledger.to_json(),
        "reconciles": ledger.reconciles(),
        **(extra or {}),
    }
    manifest["files"] = output_files(build_dir)
    write_json(build_dir / "manifest.json", manifest)
    write_index(build_dir)
    return manifest
