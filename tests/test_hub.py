"""Hub publishing, driven through the real huggingface_hub client against a loopback fake Hub.

No test reaches the network (non-loopback connects raise) and none sees a real token: the token
environment and stored-login paths are isolated, and the only token is the fake one below.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hub_server import INITIAL, FakeHub, block_non_loopback
from huggingface_hub import constants, snapshot_download
from pydantic import ValidationError

from pipelines.core.buildindex import write_index
from pipelines.core.errors import FineForgeError, InputError
from pipelines.core.hub import PushPlan, format_plan, plan_push, push_build
from pipelines.core.manifest import output_files

TOKEN = "hf_test_secret_123"
REPO = "fineforge-test/finebench"
README = """\
---
pretty_name: FineBench (test)
license: cc-by-4.0
configs:
- config_name: mcq
  data_files:
  - split: test
    path: data/mcq/test-*.parquet
---
# FineBench test card
"""


@pytest.fixture(autouse=True)
def isolated_hf(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No real token, no stored login, no default endpoint that leads anywhere, no network."""
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_OIDC_RESOURCE", "HF_OIDC_ID_TOKEN", "HF_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "hf_home"
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(home / "token"))
    monkeypatch.setattr(constants, "HF_STORED_TOKENS_PATH", str(home / "stored_tokens"))
    # A forgotten endpoint fails closed. Both constants must move together: hf_hub_download builds
    # URLs from the import-time template and swaps in `endpoint=` only if they start with ENDPOINT.
    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE",
                        "http://127.0.0.1:9/{repo_id}/resolve/{revision}/{filename}")
    block_non_loopback(monkeypatch)
    return home


@pytest.fixture
def hub():
    with FakeHub(token=TOKEN) as server:
        yield server


def make_build(root: Path, version: str = "1.0.0", rows: int = 3,
               extra: dict[str, str] | None = None) -> Path:
    """A tiny finished build folder like the recipes write, plus hidden work files to be skipped."""
    build = root / "out" / "finebench" / version
    (build / "data" / "mcq").mkdir(parents=True)
    table = pa.table({"question": [f"Who is on the left? #{i}" for i in range(rows)],
                      "answer": ["A"] * rows, "index": list(range(rows))})
    pq.write_table(table, build / "data" / "mcq" / "test-00000-of-00001.parquet")
    files = {"README.md": README, "rejects.jsonl": '{"unit": "v1", "reason": "no_person"}\n',
             "exports/vlmevalkit/finebench.tsv": "index\tquestion\tanswer\n0\tWho?\tA\n",
             "report/index.html": "<html><body>report</body></html>\n",
             ".work/cache/llm.jsonl": "cached\n", "data/mcq/.test.parquet.tmp-123": "partial",
             **(extra or {})}
    for rel, text in files.items():
        (build / rel).parent.mkdir(parents=True, exist_ok=True)
        (build / rel).write_text(text, encoding="utf-8")
    manifest = {"recipe": "finebench", "version": version, "seed": 0, "files": output_files(build)}
    (build / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    write_index(build)  # what write_manifest does at the end of a build
    return build


def published(build: Path) -> dict[str, bytes]:
    return {p.relative_to(build).as_posix(): p.read_bytes() for p in build.rglob("*") if p.is_file()
            and not any(part.startswith(".") for part in p.relative_to(build).parts)}


# -- plan -----------------------------------------------------------------------------------------

def test_plan_lists_every_published_file_with_size_and_sha256(tmp_path: Path) -> None:
    build = make_build(tmp_path)
    plan = plan_push(build, REPO, "1.0.0")
    assert plan.tag == "v1.0.0" and plan.repo_id == REPO and "v1.0.0" in plan.commit_message
    assert [f.path_in_repo for f in plan.files] == sorted(published(build))
    assert {".work/cache/llm.jsonl", "data/mcq/.test.parquet.tmp-123"}.isdisjoint(
        f.path_in_repo for f in plan.files)
    for f in plan.files:
        assert Path(f.local_path).read_bytes() == published(build)[f.path_in_repo]
        assert f.size == Path(f.local_path).stat().st_size and len(f.sha256) == 64
    with pytest.raises(ValidationError):
        PushPlan(**plan.model_dump(), extra_field=1)


@pytest.mark.parametrize("version", ["1.0", "v1.0.0", "1.0.0-rc1", "01.0.0", "1.0.0 ", "", "latest"])
def test_plan_rejects_a_version_that_is_not_semver(tmp_path: Path, version: str) -> None:
    build = make_build(tmp_path)
    with pytest.raises(InputError, match=r"not a semantic version X\.Y\.Z") as caught:
        plan_push(build, REPO, version)
    assert "\n" not in str(caught.value)
    if version == "v1.0.0":
        assert "drop the leading 'v'" in str(caught.value)


@pytest.mark.parametrize("missing", ["README.md", "manifest.json"])
def test_plan_requires_readme_and_manifest(tmp_path: Path, missing: str) -> None:
    build = make_build(tmp_path)
    (build / missing).unlink()
    with pytest.raises(InputError, match=f"{missing}: missing"):
        plan_push(build, REPO, "1.0.0")


def test_plan_rejects_manifest_of_another_version(tmp_path: Path) -> None:
    build = make_build(tmp_path, version="1.0.0")
    with pytest.raises(InputError, match=r"manifest.json \[version\]: build is version '1.0.0', push asked "
                                         r"for '1.0.1'"):
        plan_push(build, REPO, "1.0.1")


def test_plan_rejects_files_changed_after_the_manifest(tmp_path: Path) -> None:
    build = make_build(tmp_path)
    (build / "rejects.jsonl").write_text("tampered\n")
    with pytest.raises(InputError, match=r"rejects\.jsonl changed since the manifest was written"):
        plan_push(build, REPO, "1.0.0")


@pytest.mark.parametrize("repo_id", ["finebench", "a/b/c", "/x", "org/"])
def test_plan_rejects_repo_ids_without_owner_and_name(tmp_path: Path, repo_id: str) -> None:
    with pytest.raises(InputError, match="owner/name"):
        plan_push(make_build(tmp_path), repo_id, "1.0.0")


def test_format_plan_shows_files_sizes_total_and_tag(tmp_path: Path) -> None:
    plan = plan_push(make_build(tmp_path), REPO, "1.0.0")
    text = format_plan(plan)
    assert all(f.path_in_repo in text for f in plan.files)
    assert "v1.0.0" in text and REPO in text and f"total: {len(plan.files)} files" in text
    assert ".work" not in text


# -- push -----------------------------------------------------------------------------------------

def test_dry_run_makes_no_network_call_at_all(tmp_path: Path, hub: FakeHub,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    plan = plan_push(make_build(tmp_path), REPO, "1.0.0")

    def refuse(*args: object) -> None:
        raise AssertionError("dry run opened a connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    assert push_build(plan, token=TOKEN, endpoint=hub.url, dry_run=True) == ""
    assert hub.calls == [] and hub.repos == {}


def test_push_makes_one_commit_with_exactly_the_planned_bytes_then_tags_it(tmp_path: Path,
                                                                           hub: FakeHub) -> None:
    build = make_build(tmp_path)
    plan = plan_push(build, REPO, "1.0.0")
    oid = push_build(plan, token=TOKEN, endpoint=hub.url)

    repo = hub.repo(REPO)
    commits = repo.user_commits()
    assert len(commits) == 1 and commits[0].oid == oid
    assert commits[0].summary == plan.commit_message
    assert commits[0].sent == published(build)                      # exactly these files, same bytes
    assert commits[0].tree == {**INITIAL, **published(build)}
    assert repo.tags == {"v1.0.0": oid} and repo.branches["main"] == oid
    assert not repo.private

    posts = [c for c in hub.calls if c.method == "POST"]
    commit_calls = hub.calls_to("POST", "/commit/")
    assert len(commit_calls) == 1 and len(hub.calls_to("POST", "/tag/")) == 1
    header, *ops = commit_calls[0].body
    assert header["key"] == "header" and header["parentCommit"] == commits[0].parent
    assert sorted(op["path"] for op in ops) == sorted(published(build))
    assert {op["key"] for op in ops} == {"file"}
    assert posts[-1].path.endswith(f"/tag/{oid}") and posts[-1].body["tag"] == "v1.0.0"
    assert {c.auth for c in hub.calls} == {"valid"}                 # the token was sent, and only it


def test_second_push_of_the_same_version_is_refused_without_committing(tmp_path: Path,
                                                                       hub: FakeHub) -> None:
    plan = plan_push(make_build(tmp_path), REPO, "1.0.0")
    oid = push_build(plan, token=TOKEN, endpoint=hub.url)
    with pytest.raises(FineForgeError, match=r"tag v1\.0\.0 already exists"):
        push_build(plan, token=TOKEN, endpoint=hub.url)
    assert len(hub.repo(REPO).user_commits()) == 1 and len(hub.calls_to("POST", "/commit/")) == 1
    assert hub.repo(REPO).tags == {"v1.0.0": oid}


def test_an_existing_tag_is_never_moved(tmp_path: Path, hub: FakeHub) -> None:
    repo = hub.create_repo(REPO)
    initial = repo.branches["main"]
    repo.tags["v1.0.0"] = initial
    with pytest.raises(FineForgeError, match="never moved or overwritten"):
        push_build(plan_push(make_build(tmp_path), REPO, "1.0.0"), token=TOKEN, endpoint=hub.url)
    assert repo.tags == {"v1.0.0": initial} and repo.user_commits() == []


def test_a_new_version_is_an_exact_snapshot_and_old_tags_stay(tmp_path: Path, hub: FakeHub) -> None:
    old = make_build(tmp_path / "a", "1.0.0", extra={"exports/old_format.json": "[]\n"})
    new = make_build(tmp_path / "b", "1.1.0", rows=5)
    first = push_build(plan_push(old, REPO, "1.0.0"), token=TOKEN, endpoint=hub.url)
    second = push_build(plan_push(new, REPO, "1.1.0"), token=TOKEN, endpoint=hub.url)

    repo = hub.repo(REPO)
    assert repo.tags == {"v1.0.0": first, "v1.1.0": second}
    assert repo.resolve("v1.1.0").tree == {**INITIAL, **published(new)}   # old_format.json deleted
    assert repo.resolve("v1.0.0").tree == {**INITIAL, **published(old)}
    assert repo.resolve("v1.1.0").deleted == ["exports/old_format.json"]
    assert repo.resolve("v1.1.0").parent == first


def test_push_round_trips_through_snapshot_download(tmp_path: Path, hub: FakeHub) -> None:
    build = make_build(tmp_path)
    oid = push_build(plan_push(build, REPO, "1.0.0"), token=TOKEN, endpoint=hub.url)
    folder = Path(snapshot_download(REPO, repo_type="dataset", revision="v1.0.0", endpoint=hub.url,
                                    token=TOKEN, cache_dir=tmp_path / "cache"))
    assert folder.name == oid
    assert published(folder) == published(build)


def test_load_dataset_at_the_tag_returns_that_version(tmp_path: Path, hub: FakeHub) -> None:
    """The user-facing promise, in a fresh process configured only through HF_ENDPOINT."""
    push_build(plan_push(make_build(tmp_path / "a", "1.0.0", rows=3), REPO, "1.0.0"),
               token=TOKEN, endpoint=hub.url)
    push_build(plan_push(make_build(tmp_path / "b", "1.1.0", rows=5), REPO, "1.1.0"),
               token=TOKEN, endpoint=hub.url)
    code = textwrap.dedent(f"""
        import sys; sys.path.insert(0, {str(Path(__file__).parent)!r})
        from hub_server import block_non_loopback; block_non_loopback()
        import datasets
        for rev in ("v1.0.0", "v1.1.0"):
            print(rev, len(datasets.load_dataset({REPO!r}, "mcq", split="test", revision=rev)))
    """)
    env = {**os.environ, "HF_ENDPOINT": hub.url, "HF_HOME": str(tmp_path / "hf_home"), "HF_TOKEN": TOKEN,
           "HF_HUB_DISABLE_TELEMETRY": "1", "HF_DATASETS_CACHE": str(tmp_path / "ds_cache")}
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.split("\n")[:2] == ["v1.0.0 3", "v1.1.0 5"]
    assert TOKEN not in run.stdout + run.stderr


def test_a_file_changed_between_plan_and_push_is_refused_before_any_commit(tmp_path: Path,
                                                                           hub: FakeHub) -> None:
    build = make_build(tmp_path)
    plan = plan_push(build, REPO, "1.0.0")
    (build / "report" / "index.html").write_text("<html>edited later</html>\n")
    with pytest.raises(InputError, match=r"index\.html: changed after the push was planned"):
        push_build(plan, token=TOKEN, endpoint=hub.url)
    assert hub.calls_to("POST", "/commit/") == [] and hub.repo(REPO).tags == {}


def test_private_flag_creates_a_private_repo(tmp_path: Path, hub: FakeHub) -> None:
    push_build(plan_push(make_build(tmp_path), REPO, "1.0.0"), token=TOKEN, endpoint=hub.url, private=True)
    assert hub.repo(REPO).private


def test_token_comes_from_the_environment_when_not_passed(tmp_path: Path, hub: FakeHub,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    push_build(plan_push(make_build(tmp_path), REPO, "1.0.0"), endpoint=hub.url)
    assert hub.calls and {c.auth for c in hub.calls} == {"valid"}


def test_no_token_anywhere_is_a_clear_error_before_any_call(tmp_path: Path, hub: FakeHub) -> None:
    with pytest.raises(FineForgeError, match="no Hub token"):
        push_build(plan_push(make_build(tmp_path), REPO, "1.0.0"), endpoint=hub.url)
    assert hub.calls == []


def test_readme_metadata_rejected_by_the_hub_stops_before_the_commit(tmp_path: Path, hub: FakeHub) -> None:
    build = make_build(tmp_path, extra={"README.md": "---\n- just\n- a list\n---\n# card\n"})
    with pytest.raises(FineForgeError, match=r"Hub commit failed: .*Invalid metadata in README\.md"):
        push_build(plan_push(build, REPO, "1.0.0"), token=TOKEN, endpoint=hub.url)
    assert hub.repo(REPO).user_commits() == [] and hub.repo(REPO).tags == {}


def test_tag_failure_after_commit_names_the_untagged_commit(tmp_path: Path, hub: FakeHub) -> None:
    hub.fail("POST", "/tag/", 500)
    with pytest.raises(FineForgeError, match="Hub tag failed") as caught:
        push_build(plan_push(make_build(tmp_path), REPO, "1.0.0"), token=TOKEN, endpoint=hub.url)
    (commit,) = hub.repo(REPO).user_commits()
    assert f"commit {commit.oid} is on main but untagged" in str(caught.value)
    assert "\n" not in str(caught.value) and hub.repo(REPO).tags == {}


def test_token_is_never_printed_logged_raised_or_written(tmp_path: Path, hub: FakeHub,
                                                         capfd: pytest.CaptureFixture[str],
                                                         caplog: pytest.LogCaptureFixture,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(constants, "HF_DEBUG", True)               # client logs each request as curl
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="huggingface_hub")     # its own level is WARNING
    build = make_build(tmp_path)
    plan = plan_push(build, REPO, "1.0.0")
    print(format_plan(plan))
    push_build(plan, token=TOKEN, endpoint=hub.url, dry_run=True)
    push_build(plan, token=TOKEN, endpoint=hub.url)
    errors: list[BaseException] = []
    with pytest.raises(FineForgeError) as refused:                 # tag exists
        push_build(plan, token=TOKEN, endpoint=hub.url)
    errors.append(refused.value)
    hub.fail("POST", "/commit/", 500)
    with pytest.raises(FineForgeError) as failed:                  # server error mid-push
        push_build(plan_push(make_build(tmp_path / "b", "1.0.1"), REPO, "1.0.1"), token=TOKEN,
                   endpoint=hub.url)
    errors.append(failed.value)
    with pytest.raises(FineForgeError) as unreachable:             # nothing listens there
        push_build(plan, token=TOKEN, endpoint="http://127.0.0.1:9")
    errors.append(unreachable.value)
    snapshot_download(REPO, repo_type="dataset", revision="v1.0.0", endpoint=hub.url, token=TOKEN,
                      cache_dir=tmp_path / "cache")

    out, err = capfd.readouterr()                                  # fd level: the client's own handler too
    sent = [r.getMessage() for r in caplog.records if r.name.startswith("huggingface_hub")]
    assert any("Send: curl" in m and "<TOKEN>" in m for m in sent)  # the client's logs were captured
    for text in (out, err, caplog.text, repr(hub.calls)):
        assert TOKEN not in text
    for error in errors:
        assert TOKEN not in str(error) and TOKEN not in repr(error.args)
        assert error.__cause__ is None and (error.__context__ is None or TOKEN not in str(error.__context__))
    leaked = [p for p in tmp_path.rglob("*") if p.is_file() and TOKEN.encode() in p.read_bytes()]
    assert leaked == []
    assert {c.auth for c in hub.calls} == {"valid"}


def test_tests_cannot_reach_the_network() -> None:
    with pytest.raises(OSError, match="network"):
        socket.create_connection(("huggingface.co", 443), timeout=1)
    with socket.socket() as sock, pytest.raises(OSError, match="network"):
        sock.connect(("93.184.216.34", 443))
