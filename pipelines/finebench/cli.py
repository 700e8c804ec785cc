"""finebench's command line beyond the flags derived from :class:`FinebenchParams`: the input
files, the demo fallback, the summary lines and the ``demo-inputs`` action."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pipelines.core.buildlock import require_folder_path
from pipelines.core.errors import FineForgeError
from pipelines.core.recipe import CliSpec
from pipelines.finebench.demo import write_demo_inputs
from pipelines.finebench.inputs import FinebenchInputs


def add_inputs(build: argparse.ArgumentParser) -> None:
    build.add_argument("--ava-csv", type=Path, help="AVA v2.2 annotation CSV (no header)")
    build.add_argument("--labels", type=Path, help="label map ava_action_list_v2.2.pbtxt")
    build.add_argument("--excluded", type=Path, help="excluded timestamps CSV (video_id,timestamp)")
    build.add_argument("--videos", type=Path,
                       help="folder of <video_id>.mp4/.mkv/.webm/.mov/.avi: extract every needed frame once")


def inputs_from_args(args: argparse.Namespace, _params: Any) -> tuple[FinebenchInputs, dict[str, Any]]:
    """The input files named on the command line, or the demo input written under ``--out``."""
    if args.ava_csv is None:
        if args.labels or args.excluded or args.videos:
            raise FineForgeError("--labels/--excluded/--videos need --ava-csv")
        inputs = write_demo_inputs(args.out / "demo_inputs" / "finebench")
        print(f"no --ava-csv given: building the demo input in {inputs.annotations.parent}",
              file=sys.stderr)
        return inputs, {}
    if args.labels is None:
        raise FineForgeError("--ava-csv needs --labels (ava_action_list_v2.2.pbtxt)")
    return FinebenchInputs(args.ava_csv, args.labels, args.excluded, args.videos), {}


def summary(outcome: Any) -> dict[str, Any]:
    """The summary lines, ending with the three acceptance figures (issue 8)."""
    stats = outcome.stats
    figures = stats["acceptance"]
    best = figures["blind_best"]
    not_computed = f"not computed ({'--blind-sample 0' if stats['questions'] else 'no questions'})"
    blind = (not_computed if best is None else
             f"{best:.1%} ({stats['blind']['best_model']}, target <= {figures['blind_target']:.0%}"
             f"{', ABOVE TARGET' if not figures['blind_ok'] else ''})")
    shares = ", ".join(f"{c} {s['questions']:.1%} vs {s['units']:.1%}"
                       for c, s in figures["category_shares"].items())
    return {"questions": f"{stats['questions']} ({stats['subset_questions']} in subset)",
            "answer letters": stats["letters"]["counts"],
            "blind baselines": {k: round(v, 3) for k, v in stats["blind_baselines"].items()},
            "blind model (best)": blind,
            "kept": f"{figures['kept']:.1%} of {figures['units_offered']} units (target >= "
                    f"{figures['kept_target']:.0%}{'' if figures['kept_ok'] else ', BELOW TARGET'})",
            "key ratio": _key_ratio(stats.get("key_ratio")),
            "category shares (questions vs units)": f"{shares} (largest gap "
                                                    f"{figures['largest_share_gap']:.1%}, target <= "
                                                    f"{figures['share_tolerance']:.0%}"
                                                    f"{'' if figures['shares_ok'] else ', ABOVE TARGET'})"}


def _key_ratio(record: dict[str, Any] | None) -> str:
    """The key ratio used, and the attempts when the fallback was considered (keyratio.py)."""
    if not record:
        return "-"
    tried = "; ".join(f"{t['ratio']}: kept {t['kept']:.1%}"
                      + ("" if t["blind_best"] is None else f", blind {t['blind_best']:.1%}")
                      for t in record["attempts"])
    return f"{record['ratio']} ({record['reason']}{'; ' + tried if tried else ''})"


def add_demo_action(actions: argparse._SubParsersAction) -> None:
    demo = actions.add_parser("demo-inputs", help="write the demo AVA-format input files to a folder")
    demo.add_argument("folder", type=Path, help="created if missing; gets ava_demo.csv, "
                      "ava_demo_labels.pbtxt and ava_demo_excluded.csv (for --ava-csv, --labels, --excluded)")
    demo.set_defaults(handler=_write_demo)


def _write_demo(args: argparse.Namespace) -> int:
    require_folder_path(args.folder)  # a file in the way: one line, not a traceback
    print(write_demo_inputs(args.folder).annotations)
    return 0


CLI = CliSpec(
    help="AVA v2.2 -> human-centric 4-way MCQs",
    description="AVA v2.2 person actions -> fine-grained MCQs.",
    build_description="Build out/finebench/<version>/: parquet shards (configs mcq, subset), exports "
                      "(VLMEvalKit TSV + dataset class, lmms-eval task), data card, manifest, rejects, "
                      "report. Without --ava-csv, builds FineForge's own demo input.",
    add_inputs=add_inputs, inputs=inputs_from_args, summary=summary,
    flag_names={"frames.num_frames": "--num-frames", "frames.stride": "--stride"},
    extra=add_demo_action)
