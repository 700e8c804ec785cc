"""A loopback fake of the Hugging Face Hub HTTP API, for tests that drive the real client.

``FakeHub`` serves on 127.0.0.1 (port chosen by the OS) from a daemon thread and implements just
what ``huggingface_hub`` (2.x, httpx-based) needs to publish and read back a dataset repo:

=========================================================  =====================================
``POST /api/repos/create``                                 create (409 + url if it exists)
``POST /api/validate-yaml``                                README metadata check (YAML mapping)
``GET  /api/{type}s/{repo}/refs``                          branches and tags
``POST /api/{type}s/{repo}/preupload/{rev}``               always "regular" (no LFS / Xet)
``POST /api/{type}s/{repo}/commit/{rev}``                  NDJSON: header, file, deletedFile/Folder
``POST /api/{type}s/{repo}/tag/{rev}``                     409 if the tag exists
``GET  /api/{type}s/{repo}[/revision/{rev}]``              repo info (sha, siblings)
``GET  /api/{type}s/{repo}/tree/{rev}[/{path}]``           tree listing (recursive or not)
``POST /api/{type}s/{repo}/paths-info/{rev}``              paths info
``HEAD|GET /[{type}s/]{repo}/resolve/{rev}/{path}``        file bytes + X-Repo-Commit, ETag
=========================================================  =====================================

Every request is recorded in ``calls`` with its headers, the Authorization *value* replaced by
``<redacted>`` and classified in ``Call.auth`` as ``none``/``valid``/``invalid`` against the
expected token, so tests can check a token was sent without the record ever holding it. When
``token`` is given, writes (and reads of private repos) without it get 401.
``fail(method, path_part, status)`` makes the next matching request fail once.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

from tests.hub_state import Call, Commit, HubError, Repo, git_blob_sha1
from tests.netguard import block_non_loopback

__all__ = ["Call", "Commit", "FakeHub", "HubError", "Repo", "block_non_loopback",
           "git_blob_sha1"]

API = re.compile(r"^/api/(models|datasets|spaces)/([^/]+/[^/]+?)(?:/(refs|preupload|commit|tag|revision|tree|"
                 r"paths-info)(?:/(.*))?)?/?$")
RESOLVE = re.compile(r"^/(?:(datasets|spaces)/)?([^/]+/[^/]+)/resolve/([^/]+)/(.+)$")
INITIAL = {".gitattributes": b"*.parquet filter=lfs diff=lfs merge=lfs -text\n"}


class FakeHub:
    """The fake Hub. Use as a context manager; ``url`` is its endpoint."""

    def __init__(self, token: str | None = None) -> None:
        self.token = token
        self.repos: dict[tuple[str, str], Repo] = {}
        self.calls: list[Call] = []
        self.failures: list[tuple[str, str, int]] = []
        self.lock = threading.RLock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeHub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def repo(self, repo_id: str, repo_type: str = "dataset") -> Repo:
        return self.repos[(repo_type, repo_id)]

    def fail(self, method: str, path_part: str, status: int = 500) -> None:
        self.failures.append((method, path_part, status))

    def calls_to(self, method: str, path_part: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and path_part in c.path]

    # -- state changes -----------------------------------------------------------------------

    def _commit(self, repo: Repo, parent: Commit | None, summary: str, description: str,
                tree: dict[str, bytes], sent: dict[str, bytes], deleted: list[str]) -> Commit:
        seed = json.dumps([parent.oid if parent else None, summary, len(repo.commits),
                           sorted((p, git_blob_sha1(b)) for p, b in tree.items())])
        commit = Commit(hashlib.sha1(seed.encode()).hexdigest(), parent.oid if parent else None,
                        summary, description, tree, sent, deleted)
        repo.commits[commit.oid] = commit
        return commit

    def create_repo(self, repo_id: str, repo_type: str = "dataset", private: bool = False) -> Repo:
        repo = Repo(repo_id, repo_type, private)
        self.repos[(repo_type, repo_id)] = repo
        repo.branches["main"] = self._commit(repo, None, "initial commit", "", dict(INITIAL), {}, []).oid
        return repo

    # -- request handling --------------------------------------------------------------------

    def handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes
               ) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(raw_path)
        path, query = parts.path, parse_qs(parts.query)
        supplied = headers.get("authorization")
        auth = "none" if supplied is None else "valid" if supplied == f"Bearer {self.token}" else "invalid"
        shown = {k: ("<redacted>" if k == "authorization" else v) for k, v in headers.items()}
        call = Call(method, path, query, shown, auth, _summarise(headers, body))
        with self.lock:
            self.calls.append(call)
            try:
                for i, (f_method, f_part, f_status) in enumerate(self.failures):
                    if f_method == method and f_part in path:
                        del self.failures[i]
                        raise HubError(f_status, "injected failure")
                status, out_headers, payload = self._route(method, path, query, headers, body, auth)
            except HubError as err:
                out = {"X-Error-Message": err.message, **({"X-Error-Code": err.code} if err.code else {})}
                status, out_headers, payload = err.status, out, _json({"error": err.message})
            call.status = status
            return status, out_headers, payload

    def _route(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str],
               body: bytes, auth: str) -> tuple[int, dict[str, str], bytes]:
        if (method, path) == ("POST", "/api/repos/create"):
            self._need(auth)
            data = json.loads(body)
            repo_type = data.get("type") or "model"
            repo_id = f"{data['organization']}/{data['name']}" if data.get("organization") else data["name"]
            prefix = "" if repo_type == "model" else f"{repo_type}s/"
            url = f"{self.url}/{prefix}{repo_id}"
            if (repo_type, repo_id) in self.repos:
                raise_json = _json({"error": "You already created this repo", "url": url})
                return 409, {"X-Error-Message": "You already created this repo"}, raise_json
            self.create_repo(repo_id, repo_type, private=data.get("visibility") == "private"
                             or bool(data.get("private")))
            return 200, {}, _json({"url": url, "name": repo_id})
        if (method, path) == ("POST", "/api/validate-yaml"):
            return self._validate_yaml(json.loads(body)["content"])
        if match := RESOLVE.match(path):
            repo_type = (match[1] or "models")[:-1]
            return self._resolve(self._repo(repo_type, unquote(match[2]), auth),
                                 unquote(match[3]), unquote(match[4]))
        match = API.match(path)
        if not match:
            raise HubError(404, f"fake Hub does not implement {method} {path}")
        repo = self._repo(match[1][:-1], match[2], auth)
        op, rest = match[3], match[4] or ""
        rev, _, sub = rest.partition("/")
        rev, sub = unquote(rev) or "main", unquote(sub)
        if method == "GET" and op in (None, "revision"):
            return 200, {}, _json(self._info(repo, self._commit_at(repo, rev)))
        if method == "GET" and op == "refs":
            def ref(kind: str, name: str, oid: str) -> dict[str, str]:
                return {"name": name, "ref": f"refs/{kind}/{name}", "targetCommit": oid}
            return 200, {}, _json({"branches": [ref("heads", n, o) for n, o in repo.branches.items()],
                                   "tags": [ref("tags", n, o) for n, o in repo.tags.items()],
                                   "converts": [], "pullRequests": []})
        if method == "GET" and op == "tree":
            recursive = query.get("recursive", ["false"])[0].lower() == "true"
            return 200, {}, _json(self._tree(self._commit_at(repo, rev), sub, recursive))
        if method == "POST" and op == "paths-info":
            commit = self._commit_at(repo, rev)
            wanted = parse_qs(body.decode()).get("paths", [])
            return 200, {}, _json([e for e in self._tree(commit, "", True) if e["path"] in wanted])
        self._need(auth)
        if method == "POST" and op == "preupload":
            tree = self._commit_at(repo, rev).tree
            files = [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False,
                      "oid": git_blob_sha1(tree[f["path"]]) if f["path"] in tree else None}
                     for f in json.loads(body)["files"]]
            return 200, {}, _json({"files": files, "commitOid": self._commit_at(repo, rev).oid})
        if method == "POST" and op == "commit":
            return self._do_commit(repo, rev, body, headers)
        if method == "POST" and op == "tag":
            data = json.loads(body)
            if data["tag"] in repo.tags or data["tag"] in repo.branches:
                raise HubError(409, f"Tag {data['tag']} already exists")
            repo.tags[data["tag"]] = self._commit_at(repo, rev).oid
            return 200, {}, _json({})
        raise HubError(404, f"fake Hub does not implement {method} {path}")

    def _need(self, auth: str) -> None:
        if self.token is not None and auth != "valid":
            raise HubError(401, "Invalid credentials in Authorization header")

    def _repo(self, repo_type: str, repo_id: str, auth: str) -> Repo:
        repo = self.repos.get((repo_type, repo_id))
        if repo is None or (repo.private and self.token is not None and auth != "valid"):
            raise HubError(404, "Repository not found", "RepoNotFound")
        return repo

    def _commit_at(self, repo: Repo, rev: str) -> Commit:
        commit = repo.resolve(rev)
        if commit is None:
            raise HubError(404, f"Invalid rev id: {rev}", "RevisionNotFound")
        return commit

    def _validate_yaml(self, content: str) -> tuple[int, dict[str, str], bytes]:
        header = re.match(r"^---\n(.*?)\n---\n", content, re.S)
        try:
            meta = yaml.safe_load(header[1]) if header else {}
        except yaml.YAMLError as err:
            meta = str(err)
        if not isinstance(meta, dict):
            return 400, {}, _json({"errors": [{"message": f"YAML header is not a mapping: {meta!r}"}]})
        return 200, {}, _json({"errors": [], "warnings": []})

    def _do_commit(self, repo: Repo, rev: str, body: bytes, headers: dict[str, str]
                   ) -> tuple[int, dict[str, str], bytes]:
        if headers.get("content-type") != "application/x-ndjson":
            raise HubError(400, "commit payload must be application/x-ndjson")
        if rev not in repo.branches:
            raise HubError(404, f"Invalid rev id: {rev}", "RevisionNotFound")
        parent = repo.commits[repo.branches[rev]]
        lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
        if not lines or lines[0]["key"] != "header":
            raise HubError(400, "first NDJSON line must be the header")
        head = lines[0]["value"]
        if head.get("parentCommit") and not parent.oid.startswith(head["parentCommit"]):
            raise HubError(412, "A commit has happened since. Please refresh and try again.")
        tree, sent, deleted = dict(parent.tree), {}, []
        for line in lines[1:]:
            key, value = line["key"], line["value"]
            if key == "file":
                sent[value["path"]] = tree[value["path"]] = base64.b64decode(value["content"])
            elif key in ("deletedFile", "deletedFolder"):
                prefix = value["path"].rstrip("/") + "/"
                folder = key == "deletedFolder"
                gone = [p for p in tree if p == value["path"] or (folder and p.startswith(prefix))]
                if not gone:
                    raise HubError(404, "A file with this name doesn't exist", "EntryNotFound")
                for p in gone:
                    del tree[p]
                deleted += gone
            else:
                raise HubError(400, f"fake Hub does not implement commit key {key!r}")
        commit = self._commit(repo, parent, head["summary"], head.get("description", ""), tree, sent, deleted)
        repo.branches[rev] = commit.oid
        prefix = "" if repo.repo_type == "model" else f"{repo.repo_type}s/"
        return 200, {}, _json({"commitOid": commit.oid, "pullRequestUrl": None,
                               "commitUrl": f"{self.url}/{prefix}{repo.repo_id}/commit/{commit.oid}"})

    def _info(self, repo: Repo, commit: Commit) -> dict[str, Any]:
        return {"id": repo.repo_id, "sha": commit.oid, "private": repo.private, "tags": [],
                "siblings": [{"rfilename": p} for p in sorted(commit.tree)],
                "lastModified": "2024-01-01T00:00:00.000Z", "disabled": False, "gated": False}

    def _tree(self, commit: Commit, under: str, recursive: bool) -> list[dict[str, Any]]:
        base = under.strip("/")
        if base and base not in commit.tree and not any(p.startswith(base + "/") for p in commit.tree):
            raise HubError(404, f"{under} does not exist", "EntryNotFound")
        entries: dict[str, dict[str, Any]] = {}
        for path, data in sorted(commit.tree.items()):
            if base and not path.startswith(base + "/"):
                continue
            rel = path[len(base) + 1:] if base else path
            parts = rel.split("/")
            for depth in range(1, len(parts)):
                folder = "/".join(([base] if base else []) + parts[:depth])
                if recursive or depth == 1:
                    entries.setdefault(folder, {"type": "directory", "path": folder, "size": 0,
                                                "oid": hashlib.sha1(folder.encode()).hexdigest()})
            if recursive or len(parts) == 1:
                entries[path] = {"type": "file", "path": path, "size": len(data), "oid": git_blob_sha1(data)}
        return [entries[k] for k in sorted(entries)]

    def _resolve(self, repo: Repo, rev: str, path: str) -> tuple[int, dict[str, str], bytes]:
        commit = self._commit_at(repo, rev)
        if path not in commit.tree:
            raise HubError(404, f"Entry not found: {path}", "EntryNotFound")
        data = commit.tree[path]
        headers = {"X-Repo-Commit": commit.oid, "ETag": f'"{git_blob_sha1(data)}"',
                   "Content-Type": "application/octet-stream"}
        return 200, headers, data  # the handler sends no body for HEAD


def _json(obj: Any) -> bytes:
    return json.dumps(obj).encode()


def _summarise(headers: dict[str, str], body: bytes) -> Any:
    """What a test needs to see of a body, without file contents."""
    if not body:
        return None
    if headers.get("content-type") == "application/x-ndjson":
        out = []
        for line in body.decode().splitlines():
            item = json.loads(line)
            value = item["value"]
            if item["key"] == "file":
                value = {"path": value["path"], "size": len(base64.b64decode(value["content"]))}
            out.append({"key": item["key"], **value})
        return out
    try:
        return json.loads(body)
    except ValueError:
        return {"bytes": len(body)}


def _handler_for(hub: FakeHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, out_headers, payload = hub.handle(self.command, self.path, headers, body)
            self.send_response(status)
            out_headers.setdefault("Content-Type", "application/json")
            for key, value in out_headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))  # HEAD: size of what GET would send
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

        def log_message(self, format: str, *args: Any) -> None:  # silence stderr access log
            pass

    return Handler
