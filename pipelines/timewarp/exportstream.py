"""The timewarp exports (exports.py) written as streams: rows come config by config or unit by
unit, in each config's order, and every file grows as they come, under a temporary name renamed
when the stream closes (a failed stream leaves none of them).

Only what a file's last lines need is kept: the question kinds of the lmms-eval task files, the
TSV row numbers, and the shuffled half of ``TimeWar_paired.tsv`` (its normal rows come first), which
is spilled to an anonymous temporary file and appended at the end.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, ClassVar

from pipelines.core.evalformats import render_export
from pipelines.core.exportfiles import ExportFiles
from pipelines.timewarp.exports import (
    LMMS_KEYS,
    MEDIA_ONLY,
    TIMEWAR_VARIANTS,
    TSV_COLUMNS,
    Frames,
    Row,
    dataset_info,
    llamafactory,
    llava_hound_dpo,
    llava_sft,
    task_yaml,
    trl_dpo,
    trl_kto,
    tsv_row,
)


class ExportStream:
    """Context manager: ``add(config, rows)`` any number of times, files complete on exit."""

    def __init__(self, build_dir: Path) -> None:
        self.out, self.frames = build_dir / "exports", Frames(build_dir)
        self.media = self.frames.rendered
        self.exports = ExportFiles(self.out)
        self.files: list[Path] = []
        self.kinds = {variant: set[str]() for variant in TIMEWAR_VARIANTS}
        self.numbers = {variant: 0 for variant in TIMEWAR_VARIANTS}
        self.spill: IO[str] | None = None

    def __enter__(self) -> ExportStream:
        exports = self.exports.__enter__()
        try:
            self.spill = tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n")
            self.lists, self.lines, self.tsv = {}, {}, {}
            for n in self._streamed():  # opened in the order the files are listed
                if n.endswith(".json"):
                    self.lists[n] = exports.json_list(n)
                elif n.endswith(".jsonl"):
                    self.lines[n] = exports.jsonl(n)
                else:
                    self.tsv[n] = exports.tsv(n, (*TSV_COLUMNS, "variant") if "paired" in n else TSV_COLUMNS)
        except BaseException as failure:
            self.__exit__(type(failure), failure, failure.__traceback__)
            raise
        return self

    def _streamed(self) -> list[str]:
        """The files fed row by row, in the order the whole-table writer listed them."""
        trainer = ["trl/dpo.jsonl", "trl/kto.jsonl",
                   *(f"llamafactory/timewarp_{c}.json" for c in ("sft", "dpo", "kto")),
                   *(MEDIA_ONLY if self.media else ())]
        evaluator = [f"{tool}/{name}" for variant in TIMEWAR_VARIANTS for tool, name in
                     (("vlmevalkit", f"TimeWar_{variant}.tsv"), ("lmms_eval", f"timewar_{variant}.jsonl"))]
        return [*trainer, *evaluator, "vlmevalkit/TimeWar_paired.tsv"]

    def add(self, config: str, rows: Sequence[Row]) -> None:
        """Append ``rows`` of ``config`` (in the config's order) to every export made from it."""
        if not rows:
            return
        add = self._ADDERS.get(config)
        if add is not None:
            add(self, config, rows)
        self.frames.forget()  # frame lists are looked up per unit; do not keep them all

    def _dpo(self, _config: str, rows: Sequence[Row]) -> None:
        self.lines["trl/dpo.jsonl"].add(trl_dpo(rows, self.frames))
        self.lists["llamafactory/timewarp_dpo.json"].add(
            llamafactory({"sft": [], "dpo": rows, "kto": []}, self.media)["timewarp_dpo"])
        if self.media:
            self.lines[MEDIA_ONLY[0]].add(llava_hound_dpo(rows))

    def _kto(self, _config: str, rows: Sequence[Row]) -> None:
        self.lines["trl/kto.jsonl"].add(trl_kto(rows, self.frames))
        self.lists["llamafactory/timewarp_kto.json"].add(
            llamafactory({"sft": [], "dpo": [], "kto": rows}, self.media)["timewarp_kto"])

    def _sft(self, _config: str, rows: Sequence[Row]) -> None:
        self.lists["llamafactory/timewarp_sft.json"].add(
            llamafactory({"sft": rows, "dpo": [], "kto": []}, self.media)["timewarp_sft"])
        if self.media:
            self.lists[MEDIA_ONLY[1]].add(llava_sft(rows))

    def _timewar(self, config: str, rows: Sequence[Row]) -> None:
        variant = config.removeprefix("timewar_")
        self.kinds[variant].update(r["question_kind"] for r in rows)
        first = self.numbers[variant]
        self.numbers[variant] += len(rows)
        self.tsv[f"vlmevalkit/TimeWar_{variant}.tsv"].writerows(
            tsv_row(first + i, r) for i, r in enumerate(rows))
        self.lines[f"lmms_eval/timewar_{variant}.jsonl"].add([{k: r[k] for k in LMMS_KEYS} for r in rows])
        paired = [tsv_row(first + i, r, variant_column=True) for i, r in enumerate(rows)]
        if variant == "normal":
            self.tsv["vlmevalkit/TimeWar_paired.tsv"].writerows(paired)
        else:  # numbered after every normal row, so kept aside until those are all in
            self.spill.write("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in paired))

    _ADDERS: ClassVar[dict[str, Callable[[ExportStream, str, Sequence[Row]], None]]] = {
        "sft": _sft, "dpo": _dpo, "kto": _kto, "timewar_normal": _timewar, "timewar_shuffled": _timewar}

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        try:
            if kind is None:
                self._finish_paired()
                self._constants()
        except BaseException as failure:
            self._close(type(failure), failure, failure.__traceback__)
            raise
        self._close(kind, error, trace)
        if kind is None:
            if not self.media:
                for name in MEDIA_ONLY:
                    (self.out / name).unlink(missing_ok=True)
            self.files = self.exports.files

    def _close(self, kind: type[BaseException] | None, error: BaseException | None,
               trace: TracebackType | None) -> None:
        """Every file renamed, or (on an error) every temporary file removed."""
        if self.spill is not None:
            self.spill.close()
        self.exports.__exit__(kind, error, trace)

    def _finish_paired(self) -> None:
        """Append the shuffled rows, renumbered after the normal ones."""
        assert self.spill is not None
        self.spill.seek(0)
        paired, shift = self.tsv["vlmevalkit/TimeWar_paired.tsv"], self.numbers["normal"]
        for line in self.spill:
            row = json.loads(line)
            paired.writerow([row[0] + shift, *row[1:]])

    def _constants(self) -> None:
        """The files written whole once the rows are in (task files need every kind seen)."""
        exports = self.exports
        exports.text("llamafactory/dataset_info.json", json.dumps(dataset_info(self.media), indent=2) + "\n")
        for variant in TIMEWAR_VARIANTS:
            exports.text(f"lmms_eval/timewar_{variant}.yaml", task_yaml(variant, self.kinds[variant], False))
        exports.text("lmms_eval/timewar_paired.yaml", task_yaml("paired", set(), True))
        exports.text("lmms_eval/utils.py", render_export("lmms_eval_timewar_utils.py.j2",
                                                         media_rendered=self.media))
        exports.text("vlmevalkit/timewar_dataset.py", render_export("vlmevalkit_timewar_dataset.py.j2"))


def write_exports(build_dir: Path, records: Mapping[str, Sequence[Row]]) -> list[Path]:
    """Write every trainer and evaluator export of whole ``records``; returns the files written."""
    with ExportStream(build_dir) as exports:
        for config, rows in records.items():
            exports.add(config, rows)
    return exports.files

