"""Load exported scorers as their consumers do, without installing the consumers.

- :func:`lmms_utils` imports an exported ``utils.py`` from its file (as lmms-eval's ``!function``
  does), and :func:`task_yaml` reads a task YAML with ``!function`` values resolved against it.
- :func:`vlmevalkit_class` imports an exported VLMEvalKit dataset file inside a stand-in
  ``vlmeval`` package that provides what the file imports: ``vlmeval.smp.LMUDataRoot`` / ``load``
  and ``vlmeval.dataset.video_base.VideoBaseDataset``, written after VLMEvalKit's own (the
  constructor prepares the dataset, loads the TSV and sets ``data_root``, ``frame_root``,
  ``nframe``, ``fps``). The real VLMEvalKit was run by hand on these files (see the README).
"""

from __future__ import annotations

import importlib.util
import itertools
import sys
import types
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

_COUNTER = itertools.count()


def load_module(path: Path, name: str | None = None) -> types.ModuleType:
    name = name or f"exported_{path.stem}_{next(_COUNTER)}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def lmms_utils(folder: Path) -> types.ModuleType:
    return load_module(folder / "utils.py")


def task_yaml(path: Path, utils: types.ModuleType) -> dict[str, Any]:
    """The task YAML with every ``!function utils.name`` replaced by ``utils.name``."""
    class Loader(yaml.SafeLoader):
        pass

    def resolve(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        module, _, attribute = loader.construct_scalar(node).partition(".")
        assert module == "utils", module
        return getattr(utils, attribute)

    Loader.add_constructor("!function", resolve)
    return yaml.load(path.read_text(), Loader=Loader)


class _VideoBaseDataset:
    """The parts of VLMEvalKit's ``VideoBaseDataset.__init__`` the exported classes rely on."""

    MODALITY = "VIDEO"

    def __init__(self, dataset: str = "", pack: bool = False, nframe: int = 0, fps: float = -1) -> None:
        self.dataset_name = dataset
        prepared = self.prepare_dataset(dataset)  # type: ignore[attr-defined]
        self.frame_root = str(Path(_lmu_root()) / "images" / dataset)
        Path(self.frame_root).mkdir(parents=True, exist_ok=True)
        self.data_root, self.data_file = prepared["root"], prepared["data_file"]
        self.data = _load(self.data_file)
        self.pack, self.nframe, self.fps = pack, nframe, fps


def _lmu_root() -> str:
    import os

    return os.environ["LMUData"]  # noqa: SIM112 (VLMEvalKit's own name)


def _load(path: str) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", dtype={"answer": str}, keep_default_na=False)


def _stub_vlmeval() -> None:
    if "vlmeval.dataset.video_base" in sys.modules:
        return
    root = types.ModuleType("vlmeval")
    root.__path__ = []  # a package
    smp = types.ModuleType("vlmeval.smp")
    smp.LMUDataRoot, smp.load = _lmu_root, _load  # type: ignore[attr-defined]
    dataset = types.ModuleType("vlmeval.dataset")
    dataset.__path__ = []
    video_base = types.ModuleType("vlmeval.dataset.video_base")
    video_base.VideoBaseDataset = _VideoBaseDataset  # type: ignore[attr-defined]
    sys.modules.update({"vlmeval": root, "vlmeval.smp": smp, "vlmeval.dataset": dataset,
                        "vlmeval.dataset.video_base": video_base})


def vlmevalkit_class(path: Path, name: str) -> type:
    """The class ``name`` of an exported VLMEvalKit dataset file."""
    _stub_vlmeval()
    module = load_module(path, f"vlmeval.dataset.exported_{path.stem}_{next(_COUNTER)}")
    return getattr(module, name)


def timewarp_demo_without_media(root: Path) -> Path:
    """The timewarp demo metadata built in ``root`` without rendering (no clips, fast); the build
    folder."""
    import json

    from pipelines.core.executors import LocalExecutor
    from pipelines.timewarp.build import build_timewarp
    from pipelines.timewarp.config import TimewarpParams
    from pipelines.timewarp.demo import VIDEOS, invalid_examples, metadata

    meta = root / "metadata"
    meta.mkdir(parents=True)
    for video_id, data in ({v: metadata(v, s) for v, s in VIDEOS.items()} | invalid_examples()).items():
        (meta / f"{video_id}.json").write_text(json.dumps(data, sort_keys=True))
    result = build_timewarp(meta, TimewarpParams(), root / "out", "0.1.0", LocalExecutor(1, progress=False))
    return result.build_dir
