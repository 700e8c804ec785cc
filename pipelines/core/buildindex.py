"""The signed build index: proof that ``manifest.json`` is the one the build wrote.

The manifest lists the sha256 of every published file (the data card ``README.md`` included);
this index, ``.build-index.json`` beside it (hidden, never published), holds the sha256 of the
manifest and an HMAC of that digest under a per-user key kept outside every build folder
(``$FINEFORGE_KEY_FILE``, default ``$XDG_CONFIG_HOME/fineforge/build-signing.key``). A push
verifies the chain index -> manifest -> files, so a card, a manifest count or a file edited after
the build is refused, and re-hashing the manifest by hand does not help without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

from pipelines.core.atomic import write_json
from pipelines.core.errors import InputError

INDEX_NAME = ".build-index.json"


def key_file() -> Path:
    if explicit := os.environ.get("FINEFORGE_KEY_FILE"):
        return Path(explicit)
    config = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(config) / "fineforge" / "build-signing.key"


def signing_key(create: bool) -> bytes | None:
    """The per-user key (made, mode 0600, on first build when ``create``); None if unavailable."""
    path = key_file()
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        if not create:
            return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32))
    except FileExistsError:
        pass  # another build made it first
    except OSError:
        return None  # unwritable home: the index still carries the digest, unsigned
    return signing_key(create=False)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _mac(key: bytes, digest: str) -> str:
    return hmac.new(key, f"fineforge-manifest:{digest}".encode(), hashlib.sha256).hexdigest()


def write_index(build_dir: Path) -> None:
    """Record (and sign) the manifest just written; call right after writing ``manifest.json``."""
    digest = _sha256(build_dir / "manifest.json")
    key = signing_key(create=True)
    write_json(build_dir / INDEX_NAME, {"manifest_sha256": digest,
                                        "hmac_sha256": _mac(key, digest) if key else None})


def verify_index(build_dir: Path) -> None:
    """Raise :class:`InputError` unless the manifest is exactly the one the build wrote."""
    index_path, manifest = build_dir / INDEX_NAME, build_dir / "manifest.json"
    try:
        index = json.loads(index_path.read_text(encoding="utf-8"))
        digest, mac = index["manifest_sha256"], index["hmac_sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        raise InputError(index_path, "missing or unreadable build index: rebuild this version "
                                     "before pushing") from None
    if not hmac.compare_digest(str(digest), _sha256(manifest)):
        raise InputError(manifest, "edited after the build (its sha256 differs from the build "
                                   "index); rebuild")
    if mac is None:
        return
    key = signing_key(create=False)
    if key is None or not hmac.compare_digest(str(mac), _mac(key, str(digest))):
        raise InputError(index_path, f"signature does not verify with {key_file()} (index edited, "
                                     "or built by another user/machine); rebuild here")
