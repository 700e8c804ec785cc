"""State of the loopback fake Hub: repositories, commits and the record of calls."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class Commit:
    oid: str
    parent: str | None
    summary: str
    description: str
    tree: dict[str, bytes]                     # full snapshot after the commit
    sent: dict[str, bytes] = field(default_factory=dict)   # files carried by this commit's payload
    deleted: list[str] = field(default_factory=list)


@dataclass
class Repo:
    repo_id: str
    repo_type: str
    private: bool
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    def resolve(self, rev: str) -> Commit | None:
        oid = self.branches.get(rev) or self.tags.get(rev)
        if oid is None and len(rev) >= 7:
            oid = next((o for o in self.commits if o.startswith(rev)), None)
        return self.commits.get(oid) if oid else None

    def user_commits(self) -> list[Commit]:
        """Commits made through the API (the repo-creation commit excluded)."""
        return list(self.commits.values())[1:]


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    auth: str                                  # "none" | "valid" | "invalid"
    body: Any                                  # summary: parsed JSON, NDJSON keys/paths/sizes, or byte count
    status: int = 0


class HubError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code
