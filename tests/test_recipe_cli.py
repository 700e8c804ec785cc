"""The command line derived from each recipe's Params model, ``--params FILE.yaml``, and the
import rules that keep recipes independent (registry instead of imports)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from pipelines.cli import build_parser, main
from pipelines.core.params_cli import params_from_args
from pipelines.core.registry import load_recipe, recipe_names
from pipelines.finebench.config import FinebenchParams, FrameWindow
from pipelines.timewarp.config import TimewarpParams

PIPELINES = Path(__file__).resolve().parents[1] / "pipelines"
TODAY = {
    "finebench": ["--ava-csv", "--labels", "--excluded", "--videos", "--seed", "--similarity-map",
                  "--frames-mode", "--num-frames", "--stride", "--min-center-gap", "--max-answer-share"],
    "timewarp": ["--finevideo", "--videos", "--seed", "--cap-seconds", "--qa-per-video",
                 "--mcq-per-video", "--llm"],
}


def parse(*argv: str):
    return build_parser().parse_args(list(argv))


@pytest.mark.parametrize("recipe", sorted(TODAY))
def test_todays_flags_are_kept_and_every_param_has_one(recipe: str) -> None:
    args = parse(recipe, "build")
    assert {path[0] for path, _dest in args.param_fields} == set(load_recipe(recipe).params.model_fields)
    values = {"--frames-mode": "streaming", "--llm": "offline", "--similarity-map": "curated"}
    for flag in TODAY[recipe]:  # argparse exits (SystemExit) on an unknown flag
        assert parse(recipe, "build", flag, values.get(flag, "1")).recipe == recipe


def test_flags_override_the_params_file_which_overrides_defaults(tmp_path: Path) -> None:
    file = tmp_path / "params.yaml"
    file.write_text("seed: 5\nmax_answer_share: 0.5\nframes:\n  mode: streaming\n  stride: 2.0\n")
    args = parse("finebench", "build", "--params", str(file), "--seed", "9", "--num-frames", "3")
    assert params_from_args(FinebenchParams, args) == FinebenchParams(
        seed=9, max_answer_share=0.5, frames=FrameWindow(mode="streaming", num_frames=3, stride=2.0))
    assert params_from_args(FinebenchParams, parse("finebench", "build")) == FinebenchParams()


def test_llm_flag_feeds_the_params_field_and_the_file_can_set_it(tmp_path: Path) -> None:
    assert params_from_args(TimewarpParams, parse("timewarp", "build", "--llm", "openai")).llm == "openai"
    file = tmp_path / "p.yaml"
    file.write_text("llm: openai\ncap_seconds: 60\n")
    params = params_from_args(TimewarpParams, parse("timewarp", "build", "--params", str(file)))
    assert params.llm == "openai" and params.cap_seconds == 60.0


@pytest.mark.parametrize(("text", "message"), [
    ("seeds: 3\n", "error: invalid parameter seeds: Extra inputs are not permitted"),
    ("- 1\n", "parameters file must hold a mapping"),
])
def test_bad_params_file_is_one_line_error(tmp_path: Path, capsys, text: str, message: str) -> None:
    file = tmp_path / "p.yaml"
    file.write_text(text)
    assert main(["finebench", "build", "--params", str(file), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "out" / "finebench").exists()


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("recipe", recipe_names())
def test_recipe_modules_import_only_core_and_themselves(recipe: str) -> None:
    for path in sorted((PIPELINES / recipe).glob("*.py")):
        for module in imported_modules(path):
            if module.startswith("pipelines"):
                assert module.startswith(("pipelines.core", f"pipelines.{recipe}")) \
                    or module == "pipelines", f"{path.name} imports {module}"


def test_core_and_top_level_cli_import_no_recipe() -> None:
    files = [PIPELINES / "cli.py", *sorted((PIPELINES / "core").rglob("*.py"))]
    for path in files:
        for module in imported_modules(path):
            assert not any(module.startswith(f"pipelines.{r}") for r in recipe_names()), \
                f"{path.relative_to(PIPELINES)} imports {module}"


@pytest.mark.parametrize("recipe", recipe_names())
def test_build_help_prints_every_parameter(recipe: str, capsys: pytest.CaptureFixture[str]) -> None:
    """``--help`` renders (argparse %-formats help texts: a description saying "60%" once broke
    it) and lists a flag for every parameter."""
    with pytest.raises(SystemExit) as stop:
        parse(recipe, "build", "--help")
    assert stop.value.code == 0
    shown = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    fields = parse(recipe, "build").param_fields
    assert "--seed" in shown and shown.count("(default:") >= len(fields) >= 3, recipe
    if recipe == "fragments":  # a tuple default is shown as it is typed, not as a Python tuple
        assert "(default: 2,3,4,5,6)" in shown
