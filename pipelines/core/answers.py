"""The one reply parser of FineForge: which option letter does a model's free-text reply name?

Every exported scorer (VLMEvalKit classes, lmms-eval ``utils.py``, of every recipe) embeds this
file's source verbatim, so the scores a user gets inside a consumer are the ones tested here.
It therefore imports only the standard library, has no ``from __future__`` line and runs on
Python 3.8+.

Contract of :func:`parse_choice` (``reply``, the ``options`` in presented order, ``letters`` their
labels; only the first ``len(options)`` letters are valid):
- A letter counts when the reply names it: the whole reply (``"b"``, ``"B."``), in brackets
  (``"(b)"``, ``"[B]"``), first with a delimiter (``"b) walk"``, ``"B: walk"``), after "answer",
  "option" or "choice" (``"Answer: b"``, ``"the correct option is B"``), or as a standalone
  capital (``"I pick B"``) -- the rules of VLMEvalKit's ``can_infer``, with lower case accepted
  where a marker makes the letter unambiguous.
- A standalone ``A`` (or a lower-case letter) followed by a word is prose, not a choice: in
  ``"It is a clear case: B"`` or ``"A man opens the door, so C"`` the article is skipped.
- Option texts are masked out before letters are looked for, so an option quoted with its letter
  (``"C. A man opens the door"``) names only C.
- Two different letters (``"A or B"``) mean unanswered: ``None``.
- Without a letter, the reply names an option by its text: equal to one option (case, spacing and
  end punctuation ignored), or containing exactly one option's text (an option contained in
  another matched option does not count) while being at most twice as long as all options
  together (VLMEvalKit's ``can_infer_text`` guard against long explanations) or, for options too
  short for that guard to leave room ("1, 2"; "No"), at most 60 characters
  (``"The answer is: 2, 1"``).
- Anything else (empty, refusal, a letter outside the options) is ``None``.
"""

# typing.Optional / typing.Sequence keep the embedded copy importable on the consumers' older Pythons.
# ruff: noqa: UP035, UP045
import re
from typing import Optional, Sequence

_MARKUP = re.compile(r"[*_`]+")
_SHORT_REPLY = 60  # a reply this short may name an option's text within a few words
_SPACES = re.compile(r"\s+")
_EDGE = " \t\n\r.,;:!?\"'()[]{}<>"
# words after which a standalone "A" is still the letter ("A is right", "A or B"), not an article
_LETTER_FOLLOWERS = ("is", "was", "seems", "fits", "matches", "would", "looks", "and", "or", "nor",
                     "but", "not", "because", "since", "as")


def _normal(text: str) -> str:
    """Lower case, single spaces, no surrounding punctuation."""
    return _SPACES.sub(" ", text.lower()).strip(_EDGE)


def _masked(reply: str, options: Sequence[str]) -> str:
    """``reply`` with every occurrence of an option text (longest first) blanked out."""
    for option in sorted((o for o in options if _normal(o)), key=len, reverse=True):
        pattern = re.compile(r"(?<!\w)" + re.escape(option.strip()) + r"(?!\w)", re.IGNORECASE)
        reply = pattern.sub(" ", reply)
    return reply


def _is_prose(text: str, end: int) -> bool:
    """True when the letter ending at ``end`` is followed by a word (an article or a pronoun)."""
    follow = re.match(r"\s+([A-Za-z]+)", text[end:])
    return bool(follow) and follow.group(1).lower() not in _LETTER_FOLLOWERS


def _marked(text: str, valid: str) -> set:
    """Letters named with a marker (any case): whole reply, brackets, leading label, keyword."""
    found = set()
    whole = text.strip(_EDGE)
    if len(whole) == 1 and whole.upper() in valid:
        found.add(whole.upper())
    for match in re.finditer(r"[(\[]\s*([A-Za-z])\s*[)\]]", text):
        found.add(match.group(1).upper())
    lead = re.match(r"\s*([A-Za-z])\s*[.):](?!\w)", text)
    if lead:
        found.add(lead.group(1).upper())
    keyword = re.compile(r"\b(?:answer|option|choice)s?\b(?:\s+(?:is|would\s+be|will\s+be))?\s*[:=\-]?\s*"
                         r"([A-Za-z])\b(?![\w'’-])", re.IGNORECASE)
    for match in keyword.finditer(text):
        if match.group(1).isupper() or not _is_prose(text, match.end(1)):
            found.add(match.group(1).upper())
    return {letter for letter in found if letter in valid}


def _standalone(text: str, valid: str) -> set:
    """Capital letters standing alone (``"B"``, ``"B."``), skipping ``A`` used as an article."""
    found = set()
    for match in re.finditer(r"(?<![\w'’-])([A-Z])(?![\w'’-])", text):
        letter = match.group(1)
        if letter in valid and not (letter == "A" and _is_prose(text, match.end(1))):
            found.add(letter)
    return found


def _by_text(reply: str, options: Sequence[str], valid: str) -> Optional[str]:
    """The letter of the one option the reply names by its text, or None."""
    said = _normal(reply)
    texts = [_normal(o) for o in options]
    if not said:
        return None
    equal = [i for i, t in enumerate(texts) if t and t == said]
    if len(equal) == 1:
        return valid[equal[0]]
    if len(said) > max(2 * sum(len(t) for t in texts), _SHORT_REPLY):
        return None
    hits = [i for i, t in enumerate(texts) if t and re.search(r"(?<!\w)" + re.escape(t) + r"(?!\w)", said)]
    hits = [i for i in hits if not any(j != i and texts[i] in texts[j] for j in hits)]
    return valid[hits[0]] if len(hits) == 1 else None


def parse_choice(reply: str, options: Sequence[str], letters: str = "ABCDEFGH") -> Optional[str]:
    """The option letter named by ``reply``, or None when unanswered or ambiguous (see module doc)."""
    valid = letters[:len(options)]
    text = _MARKUP.sub("", str(reply if reply is not None else ""))
    bare = _masked(text, options)
    named = _marked(bare, valid) | _standalone(bare, valid)
    if len(named) == 1:
        return named.pop()
    if named:
        return None
    return _by_text(text, options, valid)
