"""fragments: self-supervised fragment questions (frame count, meaning of order, frame comparison,
adjust or not, rearrangement) about N frames sampled from any video, plus scene-level speed, action
and effect questions. Design and rules: README ("fragments") and ``../shared/spec/fragments.md``.
"""
