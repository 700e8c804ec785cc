"""Publish one build folder to the Hugging Face Hub as one commit and one version tag.

Contract (see spec/outputs.md, "HF datasets on the Hub"):

* :func:`plan_push` is pure and local: it lists every file of the build folder (hidden work files
  and dirs such as ``.work/`` excluded) with size and sha256, checks the folder is a finished
  build (``README.md`` and ``manifest.json`` present, the manifest verified by the signed build
  index, the folder holding exactly the files the manifest lists with their sha256) and raises
  :class:`InputError` otherwise, naming any extra or changed file.
* :func:`push_build` makes exactly one commit holding the whole build (files that are no longer
  part of the build are deleted in that same commit, so the tag is an exact snapshot), then tags
  that commit ``vX.Y.Z``. It refuses, before committing anything, when the tag already exists: a
  tag is never moved or overwritten. Every failure is one :class:`FineForgeError` line.
* The token comes from the argument, else from huggingface_hub's standard resolution
  (``HF_TOKEN``, stored login). It is never printed, logged, or written, and never appears in
  the message (nor the cause chain) of an exception raised here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

from pipelines.core.buildindex import verify_index
from pipelines.core.errors import FineForgeError, InputError
from pipelines.core.jsonfile import load_json_file
from pipelines.core.manifest import sha256_file

SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")
REPO_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*")
KEEP_REMOTE = frozenset({".gitattributes"})  # created by the Hub with the repo; never deleted
T = TypeVar("T")


class PlannedFile(BaseModel):
    """One file of the build: where it goes in the repo, where it is now, and its identity."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    path_in_repo: str
    local_path: str
    size: int
    sha256: str


class PushPlan(BaseModel):
    """Everything :func:`push_build` will send; printing it (``--dry-run``) needs no network."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    repo_id: str
    version: str
    tag: str
    commit_message: str
    build_dir: str
    files: list[PlannedFile]

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)


def _published(build_dir: Path) -> list[Path]:
    """Files to publish, sorted: all regular files except those under a component starting with '.'."""
    return sorted(p for p in build_dir.rglob("*") if p.is_file()
                  and not any(part.startswith(".") for part in p.relative_to(build_dir).parts))


def plan_push(build_dir: Path, repo_id: str, version: str) -> PushPlan:
    """Plan the publication of ``build_dir`` as ``repo_id`` at tag ``v<version>`` (no network).

    Raises :class:`InputError` when ``version`` is not ``X.Y.Z``, ``repo_id`` is not
    ``owner/name``, the folder lacks ``README.md`` or ``manifest.json``, the manifest is not a JSON
    object, its ``version`` differs from ``version``, or a file it lists is missing or changed.
    """
    if not SEMVER.fullmatch(version):
        hint = " (drop the leading 'v': the tag adds it)" if SEMVER.fullmatch(version.lstrip("vV")) else ""
        raise InputError(None, f"version {version!r} is not a semantic version X.Y.Z such as 1.2.0{hint}",
                         key="version")
    if not REPO_ID.fullmatch(repo_id):
        raise InputError(None, f"repo id {repo_id!r} is not of the form owner/name", key="repo_id")
    build_dir = Path(build_dir)
    if not build_dir.is_dir():
        raise InputError(build_dir, "build folder does not exist")
    for required in ("README.md", "manifest.json"):
        if not (build_dir / required).is_file():
            raise InputError(build_dir / required, "missing: not a finished build folder (build it first)")
    manifest_path = build_dir / "manifest.json"
    manifest = load_json_file(manifest_path)  # bad UTF-8 or JSON: one line naming the file
    if not isinstance(manifest, dict):
        raise InputError(manifest_path, "must hold a JSON object")
    if "version" in manifest and str(manifest["version"]) != version:
        raise InputError(manifest_path, f"build is version {manifest['version']!r}, push asked for "
                         f"{version!r}", key="version")
    verify_index(build_dir)
    files = [PlannedFile(path_in_repo=p.relative_to(build_dir).as_posix(), local_path=str(p),
                         size=p.stat().st_size, sha256=sha256_file(p)) for p in _published(build_dir)]
    check_against_manifest(manifest_path, manifest.get("files"), {f.path_in_repo: f.sha256 for f in files})
    recipe = manifest.get("recipe") or build_dir.parent.name
    return PushPlan(repo_id=repo_id, version=version, tag=f"v{version}", build_dir=str(build_dir),
                    commit_message=f"Publish {recipe} v{version} ({len(files)} files)", files=files)


def check_against_manifest(manifest_path: Path, listed: Any, actual: dict[str, str]) -> None:
    """The folder must hold exactly the files the manifest lists (plus the manifest itself), each
    with the listed sha256; anything else is refused by name."""
    if not isinstance(listed, dict):
        raise InputError(manifest_path, "has no 'files' table: not a FineForge build; rebuild", key="files")
    for rel in sorted(set(actual) - set(listed) - {"manifest.json"}):
        raise InputError(Path(manifest_path).parent / rel, "is not listed in manifest.json (added "
                         "after the build?): refusing to publish it; remove it or rebuild")
    for rel, digest in sorted(listed.items()):
        if actual.get(rel) != digest:
            state = "is missing" if rel not in actual else "changed since the manifest was written"
            raise InputError(manifest_path, f"listed file {rel} {state}; rebuild", key="files")


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"  # pragma: no cover


def format_plan(plan: PushPlan) -> str:
    """Human-readable plan: target, tag, message, one line per file (size, sha256 prefix), total."""
    width = max((len(f.path_in_repo) for f in plan.files), default=0)
    lines = [f"Push {plan.build_dir} -> dataset repo {plan.repo_id}",
             f"  tag:     {plan.tag} (refused if it already exists)",
             f"  commit:  {plan.commit_message}", ""]
    lines += [f"  {f.path_in_repo:<{width}}  {_size(f.size):>10}  sha256:{f.sha256[:12]}" for f in plan.files]
    lines += ["", f"  total: {len(plan.files)} files, {_size(plan.total_bytes)}"]
    return "\n".join(lines)


def _hub_call(step: str, secrets: list[str], fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run one Hub call; turn any failure into a one-line FineForgeError with no cause chain.

    The original exception holds the request (and its Authorization header), so it is dropped
    rather than chained; its message is kept with any secret redacted.
    """
    try:
        return fn(*args, **kwargs)
    except FineForgeError:
        raise
    except Exception as err:  # HfHubHTTPError, transport errors, ValueError from the client
        problem = " ".join(f"{type(err).__name__}: {err}".split())
    for secret in secrets:
        problem = problem.replace(secret, "<redacted>")
    raise FineForgeError(f"Hub {step} failed: {problem}")


def push_build(plan: PushPlan, *, token: str | None = None, endpoint: str | None = None,
               dry_run: bool = False, private: bool = False) -> str:
    """Publish ``plan``; return the new commit oid (``""`` when ``dry_run``: no network at all).

    Order: create the dataset repo if missing; refuse if ``plan.tag`` exists; one commit (all
    files added, remote files not in the build deleted, parent pinned to the current ``main``);
    tag that commit. ``endpoint`` defaults to huggingface_hub's (``HF_ENDPOINT``, read when
    huggingface_hub is imported). ``private`` creates the repo private; against an existing public
    repo it refuses before sending anything (it would otherwise publish what was meant private).
    """
    if dry_run:
        return ""
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi, get_token

    secrets = [token] if token else []
    resolved = token or _hub_call("token lookup", secrets, get_token)  # resolved once: may refresh/exchange
    if not resolved:
        raise FineForgeError("no Hub token: set HF_TOKEN, run `hf auth login`, or pass a token")
    secrets.append(resolved)
    api = HfApi(endpoint=endpoint, token=resolved, library_name="fineforge")
    repo = {"repo_id": plan.repo_id, "repo_type": "dataset"}
    _hub_call("create repo", secrets, api.create_repo, **repo, private=private, exist_ok=True)
    if private and not _hub_call("repo info", secrets, api.repo_info, **repo).private:
        raise FineForgeError(f"{plan.repo_id} already exists and is PUBLIC; --private does not change "
                             "an existing repo's visibility: make it private on the Hub first, or push "
                             "without --private")
    refs = _hub_call("list refs", secrets, api.list_repo_refs, **repo)
    if any(t.name == plan.tag for t in refs.tags):
        raise FineForgeError(f"{plan.repo_id}: tag {plan.tag} already exists on the Hub; a published "
                             "version is never moved or overwritten, bump the version")
    head = next((b.target_commit for b in refs.branches if b.name == "main"), None)
    remote: list[str] = []
    if head is not None:
        remote = _hub_call("list files", secrets, api.list_repo_files, **repo, revision=head)
    planned = {f.path_in_repo for f in plan.files}
    operations: list[Any] = []
    for f in plan.files:  # the client hashes each file anyway: check it is still the planned one
        if not Path(f.local_path).is_file():
            raise InputError(f.local_path, "disappeared after the push was planned")
        operations.append(CommitOperationAdd(f.path_in_repo, f.local_path))
        if operations[-1].upload_info.sha256.hex() != f.sha256:
            raise InputError(f.local_path, "changed after the push was planned; plan again")
    stale = sorted(set(remote) - planned - KEEP_REMOTE)  # so the tag is an exact snapshot of the build
    operations += [CommitOperationDelete(p) for p in stale]
    info = _hub_call("commit", secrets, api.create_commit, **repo, operations=operations,
                     commit_message=plan.commit_message, parent_commit=head)
    oid = str(info.oid)
    try:
        _hub_call("tag", secrets, api.create_tag, **repo, tag=plan.tag, revision=oid,
                  tag_message=plan.commit_message)
    except FineForgeError as err:
        raise FineForgeError(f"{err} (commit {oid} is on main but untagged; re-tag it by hand)") from None
    return oid
