"""finebench quality over seeds: the three acceptance figures of issue 8 per seeded build.

Builds the real AVA files of ../shared/data/ava (the excerpt, the blocks file, and both in one
build) with default settings for each seed, and prints per build the kept share, the largest
category-share gap and the core blind model (option prior and n-gram model, split by keyframe and
by video), then per input the means, the extremes and how many builds are above the 30% target.
A change that alters the generated questions is compared with this before / after (the figures
move by 2-3 points with the seed on 400-1,000 questions, so one seed says little).

    .venv/bin/python benchmarks/finebench_seeds.py [--seeds 0-7] [--inputs excerpt,blocks,both]
        [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path
from typing import Any

from pipelines.core.executors import LocalExecutor
from pipelines.finebench.build import FinebenchInputs, build_finebench
from pipelines.finebench.config import FinebenchParams

DATA = Path(__file__).resolve().parents[2] / "shared/data/ava"
FILES = {"excerpt": ["ava_val_v2.2_excerpt.csv"], "blocks": ["ava_val_v2.2_blocks.csv"],
         "both": ["ava_val_v2.2_excerpt.csv", "ava_val_v2.2_blocks.csv"]}
TARGET = 0.30


def seed_range(text: str) -> list[int]:
    """"0-7" or "0,3,5" -> seeds."""
    if "-" in text:
        first, last = text.split("-")
        return list(range(int(first), int(last) + 1))
    return [int(s) for s in text.split(",")]


def figures(csv_path: Path, seed: int, out: Path) -> dict[str, Any]:
    """One default build's acceptance figures and blind split figures."""
    result = build_finebench(FinebenchInputs(csv_path, DATA / "ava_action_list_v2.2.pbtxt"),
                             FinebenchParams(seed=seed), out, "1.0.0", LocalExecutor(1, progress=False))
    accept, blind = result.stats["acceptance"], result.stats["blind"]
    return {"questions": result.table.num_rows, "kept": accept["kept"], "gap": accept["largest_share_gap"],
            "best": accept["blind_best"],
            **{f"{model}_{split}": blind["splits"][split][model]
               for split in ("keyframe", "video") for model in ("option_prior", "linear_ngrams")}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0-7")
    parser.add_argument("--inputs", default="excerpt,blocks,both")
    parser.add_argument("--json", type=Path, help="also write every build's figures here")
    args = parser.parse_args()
    seeds, results = seed_range(args.seeds), {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name in args.inputs.split(","):
            csv_path = root / f"{name}.csv"
            csv_path.write_text("".join((DATA / f).read_text() for f in FILES[name]))
            rows = [figures(csv_path, seed, root / f"{name}-{seed}") for seed in seeds]
            results[name] = rows
            for seed, row in zip(seeds, rows, strict=True):
                print(f"{name} seed {seed}: {row['questions']} questions, kept {row['kept']:.1%}, gap "
                      f"{row['gap'] * 100:.1f} pts, prior kf/video {row['option_prior_keyframe']:.1%} / "
                      f"{row['option_prior_video']:.1%}, linear kf/video "
                      f"{row['linear_ngrams_keyframe']:.1%} / {row['linear_ngrams_video']:.1%}, "
                      f"best {row['best']:.1%}")
            best, kept = [row["best"] for row in rows], [row["kept"] for row in rows]
            print(f"{name}, {len(seeds)} seeds: kept mean {statistics.mean(kept):.1%} (min {min(kept):.1%}), "
                  f"gap max {max(r['gap'] for r in rows) * 100:.1f} pts, best blind mean "
                  f"{statistics.mean(best):.1%} (max {max(best):.1%}), "
                  f"{sum(b > TARGET for b in best)} above {TARGET:.0%}")
    if args.json:
        args.json.write_text(json.dumps({"seeds": seeds, "results": results}, indent=1))


if __name__ == "__main__":
    main()
