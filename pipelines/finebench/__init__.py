"""finebench: AVA v2.2 person-action annotations -> human-centric fine-grained 4-way MCQs.

Stages (one module each): ``ava`` reads and validates the inputs, ``keyframes`` groups rows into
keyframes, ``referring`` names the target person, ``distractors`` picks wrong options,
``questions`` assembles records (pure functions over plain data), ``subset`` picks the ~10% subset,
``stats`` computes the quality report and blind baselines, ``exports`` writes evaluator formats,
``build`` orchestrates I/O.
"""
