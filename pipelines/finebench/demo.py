"""The shipped demo input: a small AVA-format dataset FineForge writes itself.

Four videos (one id starts with ``-``), 1 to 6 persons per keyframe, persons with several actions
in one category (compound questions), two persons standing almost on the same spot (an
ambiguous reference), one excluded keyframe, and one malformed row. Generated deterministically
from a fixed seed, so the demo build is reproducible byte for byte. The label map is written from
FineForge's vocabulary (``templates/finebench/actions.yaml``) in the official pbtxt format.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from pipelines.core.atomic import write_text
from pipelines.core.paths import TEMPLATES_DIR
from pipelines.core.rng import UnitRng
from pipelines.finebench.inputs import FinebenchInputs

VIDEOS = ("demoKitchen1", "-demoStreet2", "demoOffice03", "demoParty004")
LABEL_TYPES = {"person_movement": "PERSON_MOVEMENT", "object_manipulation": "OBJECT_MANIPULATION",
               "person_interaction": "PERSON_INTERACTION"}
POSES = (12, 11, 14, 1, 3)  # stand, sit, walk, bend/bow, crouch/kneel
OBJECTS = (17, 37, 59, 57, 24, 27, 46, 62)  # carry/hold, listen, touch, cellphone, ...
INTERACTIONS = (80, 79, 74, 65, 68, 66, 70)  # watch, talk to, listen to, give, ...


def label_map_text() -> str:
    actions = yaml.safe_load((TEMPLATES_DIR / "finebench" / "actions.yaml").read_text())["actions"]
    blocks = [f'label {{\n  name: "{a["name"]}"\n  label_id: {a["id"]}\n  label_type: '
              f'{LABEL_TYPES[a["category"]]}\n}}\n' for a in actions]
    return "".join(blocks)


def _persons(rng: UnitRng, count: int) -> list[tuple[float, float, float, float]]:
    width = 0.9 / count
    boxes = []
    for i in range(count):
        left = 0.05 + i * width + rng.random() * width * 0.2
        right = min(0.99, left + width * (0.55 + rng.random() * 0.2))
        top = 0.05 + rng.random() * 0.2
        boxes.append((round(left, 3), round(top, 3), round(right, 3), round(min(0.99, top + 0.6), 3)))
    return boxes


def demo_rows() -> list[str]:
    rows: list[str] = []
    for v, video in enumerate(VIDEOS):
        for timestamp in range(902, 902 + 12 + 4 * v):
            rng = UnitRng(2024, f"{video}/{timestamp}")
            count = 1 + (timestamp + v) % 6
            boxes = _persons(rng, count)
            if video == "demoOffice03" and timestamp == 905:
                boxes[1] = (round(boxes[0][0] + 0.01, 3), *boxes[0][1:])  # two people in one spot
            for person, box in enumerate(boxes):
                actions = {rng.choice(POSES)}
                actions |= {rng.choice(OBJECTS) for _ in range(rng.below(3))}
                actions |= {rng.choice(INTERACTIONS) for _ in range(rng.below(4))}
                for action in sorted(actions):
                    rows.append(f"{video},{timestamp:04d},{box[0]:.3f},{box[1]:.3f},{box[2]:.3f},"
                                f"{box[3]:.3f},{action},{person}")
    rows.insert(25, "demoKitchen1,0904,0.100,0.200,1.300,0.900,12,9")  # box outside [0, 1]
    return rows


def write_demo_inputs(folder: Path) -> FinebenchInputs:
    """Write the demo CSV, label map and excluded-timestamps file into ``folder``."""
    inputs = FinebenchInputs(folder / "ava_demo.csv", folder / "ava_demo_labels.pbtxt",
                             folder / "ava_demo_excluded.csv")
    write_text(inputs.annotations, "\n".join(demo_rows()) + "\n")
    write_text(inputs.labels, label_map_text())
    write_text(inputs.excluded, "demoParty004,0907\n")
    return inputs
