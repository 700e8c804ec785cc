"""Read and validate every revos input into work units (the build's ``plan`` step).

Inputs are optional one by one (a build may have only Ref-YouTube-VOS text, only AVA, ...), but
at least one must be given. Units come back sorted by their stable key, so shards do not depend
on the order files were listed in. AVA rows that fail to parse are counted here (stage
``ava_rows``); everything else is judged in the per-unit pass.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from pipelines.core.ava import read_annotations
from pipelines.core.errors import InputError
from pipelines.core.finevideo import read_metadata
from pipelines.core.manifest import describe_input
from pipelines.core.tally import Tally
from pipelines.revos.config import RevosParams
from pipelines.revos.read_masks import read_mask_dataset
from pipelines.revos.read_refytvos import read_refytvos
from pipelines.revos.units import AvaVideo, unit_key

AVA_ACTION_IDS = frozenset(range(1, 81))  # AVA v2.2 action ids; tracking needs boxes, not labels


@dataclass(frozen=True)
class RevosInputs:
    revos: Path | None = None
    mevis: Path | None = None
    refytvos: Path | None = None
    ava_csv: Path | None = None
    finevideo: Path | None = None

    def given(self) -> dict[str, Path]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


@dataclass
class ReadUnits:
    units: list[Any]
    keys: list[str]
    tally: Tally  # counts of the read step (ava_rows)


def input_sums(inputs: RevosInputs) -> dict[str, str]:
    """Input name -> sha256 (of the file, or of a folder's file listing and sums)."""
    return {name: describe_input(path)["sha256"] for name, path in inputs.given().items()}


def read_inputs(inputs: RevosInputs, params: RevosParams) -> ReadUnits:
    given = inputs.given()
    if not given:
        raise InputError(None, "no input: give at least one of --revos, --mevis, --refytvos, --ava-csv, "
                               "--finevideo (or none of them for the demo)")
    units: list[Any] = []
    tally = Tally()
    if inputs.revos is not None:
        units += read_mask_dataset(inputs.revos, "revos", params.frame_fps)
    if inputs.mevis is not None:
        units += read_mask_dataset(inputs.mevis, "mevis", params.frame_fps)
    if inputs.refytvos is not None:
        units += read_refytvos(inputs.refytvos, params.frame_fps)
    if inputs.finevideo is not None:
        units += read_metadata(inputs.finevideo)
    if inputs.ava_csv is not None:
        rows, bad, total = read_annotations(inputs.ava_csv, set(AVA_ACTION_IDS))
        tally.count("ava_rows", total, len(rows))
        tally.reject_many("ava_rows", ((f"{inputs.ava_csv.name}:{r.line}", r.reason, r.detail) for r in bad))
        by_video: dict[str, list] = {}
        for row in rows:
            by_video.setdefault(row.video_id, []).append(row)
        units += [AvaVideo(v, tuple(sorted(r, key=lambda x: (x.timestamp, x.person_id, x.line))))
                  for v, r in by_video.items()]
    keyed = sorted(((unit_key(u), u) for u in units), key=lambda pair: pair[0])
    keys = [k for k, _ in keyed]
    if len(set(keys)) != len(keys):
        duplicate = next(k for k in keys if keys.count(k) > 1)
        raise InputError(None, f"two inputs give the same unit {duplicate}")
    return ReadUnits([u for _, u in keyed], keys, tally)
