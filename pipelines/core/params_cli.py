"""Command-line flags derived from a recipe's Params model, plus ``--params FILE.yaml``.

Every leaf field becomes a flag: ``seed`` -> ``--seed``, nested ``frames.mode`` -> ``--frames-mode``
(a recipe may rename one, e.g. ``frames.num_frames`` -> ``--num-frames``). A ``Literal`` field gets
its choices, a ``bool`` a ``--x/--no-x`` pair. Flags default to "not given": the value comes from
the flag if given, else from the YAML file, else from the model's default; the model then
validates the whole (unknown YAML keys and out-of-range values are errors).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from pipelines.core.errors import InputError
from pipelines.core.validate import read_text_checked

FieldPath = tuple[str, ...]


def leaf_fields(model: type[BaseModel], prefix: FieldPath = ()) -> Iterator[tuple[FieldPath, FieldInfo]]:
    """Every non-model field of ``model``, nested models flattened, in declaration order."""
    for name, info in model.model_fields.items():
        kind = info.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            yield from leaf_fields(kind, (*prefix, name))
        else:
            yield (*prefix, name), info


def flag_for(path: FieldPath, renames: Mapping[str, str]) -> str:
    return renames.get(".".join(path), "--" + "-".join(path).replace("_", "-"))


def _kind_arguments(info: FieldInfo) -> dict[str, Any]:
    kind = info.annotation
    if get_origin(kind) is Literal:
        choices = list(get_args(kind))
        return {"choices": choices, "type": type(choices[0])}
    if kind is bool:
        return {"action": argparse.BooleanOptionalAction}
    return {"type": kind if kind in (int, float, str) else str}


def add_params_arguments(parser: argparse.ArgumentParser, model: type[BaseModel],
                         renames: Mapping[str, str]) -> None:
    """Add ``--params`` and one flag per field of ``model``. A flag the recipe already added
    (e.g. ``--llm`` with the LLM options) is reused: its value feeds that field."""
    group = parser.add_argument_group("parameters (flags override --params)")
    group.add_argument("--params", type=Path, help="YAML file with parameter values")
    fields: list[tuple[FieldPath, str]] = []
    for path, info in leaf_fields(model):
        flag = flag_for(path, renames)
        existing = parser._option_string_actions.get(flag)  # argparse keeps no public lookup
        if existing is not None:
            fields.append((path, existing.dest))
            continue
        dest = "param__" + "__".join(path)
        about = info.description or " ".join(path[-1].split("_"))
        # argparse %-formats help strings: a description may say "60%"
        group.add_argument(flag, dest=dest, default=None, metavar=path[-1].upper(),
                           help=f"{about} (default: {_spelled(info.default)})".replace("%", "%%"),
                           **_kind_arguments(info))
        fields.append((path, dest))
    parser.set_defaults(param_fields=fields)


def params_from_args(model: type[BaseModel], args: argparse.Namespace) -> Any:
    """The validated model: model defaults, then ``--params`` YAML, then the flags given."""
    values: dict[str, Any] = {}
    if args.params is not None:
        values = load_params_file(args.params)
    for path, dest in args.param_fields:
        value = getattr(args, dest, None)
        if value is not None:
            node = values
            for depth, name in enumerate(path[:-1]):
                node = node.setdefault(name, {})
                if not isinstance(node, dict):  # the YAML file gave a scalar for a nested group
                    raise InputError(args.params, "must hold a mapping of field: value",
                                     key=".".join(path[:depth + 1]))
            node[path[-1]] = value
    return model.model_validate(values)


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping (plain YAML keeps the last
    one, so a parameter set twice would silently lose the first value)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} given twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_params_file(path: Path) -> dict[str, Any]:
    """The mapping of a ``--params`` YAML file (empty file: no values). Missing, unreadable,
    non-UTF-8, malformed YAML or a non-mapping is one-line :class:`InputError` (with the line
    for malformed YAML)."""
    try:
        loaded = yaml.load(read_text_checked(path), Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise InputError(path, f"not valid YAML ({problem})",
                         line=mark.line + 1 if mark is not None else None) from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise InputError(path, "parameters file must hold a mapping of field: value")
    return loaded


def _spelled(default: object) -> str:
    """A default as a user types it on the command line (a tuple as ``2,3,4``)."""
    if isinstance(default, (tuple, list)):
        return ",".join(str(item) for item in default)
    return str(default)
