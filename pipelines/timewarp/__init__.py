"""timewarp: FineVideo scenes -> temporal QA, preference pairs (DPO/KTO), the TimeWar MCQ benchmark,
implicit preferences and a binary ordering probe.

Stages (one module each): ``finevideo`` reads metadata, ``trim`` keeps the leading scenes and fixes
their bounds, ``events`` lists timed events, ``perturb`` makes shuffled/reversed scene orders,
``temporal_qa`` writes questions with chosen/rejected answers, ``mcq`` the TimeWar benchmark,
``probe`` the ordering probe, ``implicit`` implicit preferences, ``records`` the trainer records,
``build`` orchestrates I/O.
"""
