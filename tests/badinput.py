"""Helpers of the bad-input corpus: run the CLI in-process and classify how a case ended.

A case ends well in exactly one of two ways: a one-line error (exit status 2, one ``error:`` line
on stderr naming the problem, no traceback) or a finished build whose every bad unit is accounted
for in ``rejects.jsonl`` (exit 0, or 1 when *every* unit was rejected). Anything escaping
``main`` other than ``SystemExit`` is a traceback and fails the test that ran it.
"""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

from pipelines.cli import main


@dataclass
class Outcome:
    status: int
    stderr: str

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("error:")]

    def assert_one_line_error(self, *needles: str) -> str:
        assert self.status == 2, (self.status, self.stderr)
        assert "Traceback" not in self.stderr
        assert len(self.error_lines) == 1, self.stderr
        line = self.error_lines[0]
        for needle in needles:
            assert needle in line, (needle, line)
        return line


def run_cli(*argv: str | Path) -> Outcome:
    """``python -m pipelines ...`` in this process; stdout discarded, stderr captured."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            status = main([str(a) for a in argv])
        except SystemExit as exc:  # argparse's own refusals (exit 2, one usage line)
            status = int(exc.code or 0)
    return Outcome(status, err.getvalue())


def rejects(build_dir: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in (build_dir / "rejects.jsonl").read_text().splitlines()]


def counts(build_dir: Path) -> dict[str, dict]:
    return json.loads((build_dir / "manifest.json").read_text())["counts"]
