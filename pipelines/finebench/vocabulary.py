"""The action vocabulary, similarity map and template pools, loaded from data files.

Sources: ``templates/finebench/actions.yaml`` (surface forms of the 80 AVA actions),
``templates/finebench/<category>.yaml`` (question pools), ``similarity_maps/ava_<name>.yaml``
(``similar`` lists for tier-(a) distractors and ``entails`` pairs that may never face each other).
The user's label map is the authority on ids, names and categories; our files must agree with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pipelines.core.ava import Label
from pipelines.core.errors import InputError
from pipelines.core.paths import SIMILARITY_DIR, TEMPLATES_DIR

CATEGORIES = ("person_movement", "object_manipulation", "person_interaction")
CROSS_POOL = "cross_category"  # template pool of the cross-category option mode
NOT_POOL = "cross_not"  # template pool of the NOT form ("which one is {person} NOT doing?")
NONE_POOL = "cross_none"  # template pool of the "none of these" family (noneplan.py)
TEMPLATE_POOLS = (*CATEGORIES, CROSS_POOL, NOT_POOL, NONE_POOL)  # in GenerationContext.templates order
STYLES = ("gerund", "third", "base", "label")


@dataclass(frozen=True, slots=True)
class Action:
    id: int
    name: str
    category: str
    forms: dict[str, str]  # style -> surface form


@dataclass(frozen=True, slots=True)
class Template:
    id: str
    category: str
    text: str
    style: str

    def render(self, referring_phrase: str) -> str:
        capital = referring_phrase[:1].upper() + referring_phrase[1:]
        return self.text.replace("{person}", referring_phrase).replace("{Person}", capital)


@dataclass(frozen=True)
class Vocabulary:
    actions: dict[int, Action]
    by_category: dict[str, tuple[int, ...]]
    similar: dict[int, tuple[int, ...]]
    incompatible: dict[int, frozenset[int]]  # never a distractor against each other (entailment)
    templates: dict[str, tuple[Template, ...]]
    similarity_map: str
    none_option: dict[str, str]  # per style, the text of the "none of these" option


def _load_yaml(path: Path) -> Any:
    try:
        # libyaml's loader when the wheel has it: the same data, ~10x faster on the map files
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    except FileNotFoundError:
        raise InputError(path, "file not found") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(path, f"invalid YAML: {getattr(exc, 'problem', exc)}",
                         line=mark.line + 1 if mark else None) from None


def _ids_by_name(path: Path, names: list[str], by_name: dict[str, int], key: str) -> tuple[int, ...]:
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise InputError(path, f"unknown action name {unknown[0]!r}", key=key)
    return tuple(by_name[n] for n in names)


def entailment_closure(implied: dict[int, set[int]]) -> dict[int, set[int]]:
    """Transitive closure: answer phone -> carry/hold and carry/hold -> touch give answer phone ->
    touch."""
    closed = {k: set(v) for k, v in implied.items()}
    changed = True
    while changed:
        changed = False
        for source, targets in closed.items():
            reached = set().union(*(closed.get(t, set()) for t in targets)) - targets - {source}
            if reached:
                targets |= reached
                changed = True
    return closed


def load_vocabulary(labels: dict[int, Label], similarity_map: str = "curated",
                    templates_dir: Path = TEMPLATES_DIR / "finebench",
                    similarity_dir: Path = SIMILARITY_DIR) -> Vocabulary:
    """Load and cross-check every data file against the user's label map."""
    actions_path = templates_dir / "actions.yaml"
    entries = {int(e["id"]): e for e in _load_yaml(actions_path)["actions"]}
    actions: dict[int, Action] = {}
    for label in labels.values():
        if label.category is None:
            raise InputError(None, f"label map has no label_type for id {label.id}: finebench needs "
                                   "the 80-class v2.2 list with label types")
        entry = entries.get(label.id)
        if entry is None or entry["name"] != label.name:
            raise InputError(actions_path, f"label id {label.id} is {label.name!r} in the label map "
                             f"but {entry and entry['name']!r} in our vocabulary", key=str(label.id))
        forms = {style: entry[style] for style in ("gerund", "third", "base")} | {"label": label.name}
        actions[label.id] = Action(label.id, label.name, label.category, forms)
    by_category = {c: tuple(sorted(a.id for a in actions.values() if a.category == c))
                   for c in CATEGORIES}

    map_path = similarity_dir / f"ava_{similarity_map}.yaml"
    data = _load_yaml(map_path)
    by_name = {e["name"]: i for i, e in entries.items()}
    similar = {by_name[name]: _ids_by_name(map_path, names, by_name, name)
               for name, names in data["similar"].items() if name in by_name}
    implied: dict[int, set[int]] = {}
    # Entailment is a fact about the actions, not about similarity: the curated pairs always apply.
    curated_path = similarity_dir / "ava_curated.yaml"
    sources = [(map_path, data)] + ([(curated_path, _load_yaml(curated_path))] if map_path != curated_path
                                   and curated_path.exists() else [])
    for path, content in sources:
        for name, names in (content.get("entails") or {}).items():
            source = _ids_by_name(path, [name], by_name, name)[0]
            implied.setdefault(source, set()).update(_ids_by_name(path, names, by_name, name))
    incompatible: dict[int, set[int]] = {i: set() for i in actions}
    for source, targets in entailment_closure(implied).items():
        for target in targets:
            incompatible.setdefault(source, set()).add(target)
            incompatible.setdefault(target, set()).add(source)

    templates: dict[str, tuple[Template, ...]] = {}
    for category in TEMPLATE_POOLS:
        path = templates_dir / f"{category}.yaml"
        pool = tuple(Template(t["id"], category, t["text"], t["style"])
                     for t in _load_yaml(path)["templates"])
        bad = [t.id for t in pool if t.style not in STYLES]
        if bad or not pool:
            raise InputError(path, f"template {bad[0]} has an unknown style" if bad else "no templates")
        templates[category] = pool
    none_path = templates_dir / f"{NONE_POOL}.yaml"
    none_option = _load_yaml(none_path).get("none_option") or {}
    texts_ok = all(isinstance(t, str) and t for t in none_option.values())
    if sorted(none_option) != sorted(STYLES) or not texts_ok:
        raise InputError(none_path, f"none_option needs one text per style ({', '.join(STYLES)})")
    # A label map may hold only some of the 80 actions: relations to absent ones cannot matter.
    similar = {a: tuple(b for b in ids if b in actions) for a, ids in similar.items() if a in actions}
    return Vocabulary(actions, by_category, similar,
                      {k: frozenset(v & actions.keys()) for k, v in incompatible.items() if k in actions},
                      templates, similarity_map, dict(none_option))
