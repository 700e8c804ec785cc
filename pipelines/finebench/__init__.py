"""finebench: AVA v2.2 person-action annotations -> human-centric fine-grained 4-way MCQs.

Stages (one module each, column-wise over numpy/Arrow arrays): ``ava`` / ``ava_columns`` read
and validate the inputs, ``keyframes`` groups rows into persons at keyframes, ``units`` lists the
question units and their answers, ``context`` tabulates the vocabulary and the answer balance for
the build, ``questions`` assembles a video's questions (with ``draws`` for per-unit randomness,
``referring`` for the target's phrase, ``options`` / ``fallback`` / ``distractors`` for wrong
options, ``columns`` for the Arrow table), ``subset`` picks the ~10% subset, ``stats`` computes the
quality report and blind baselines, ``exports`` writes evaluator formats, ``build`` orchestrates I/O.
"""
