"""The one redaction layer: every text FineForge stores or prints passes through :func:`redact`.

Two things are replaced by ``<redacted>``: the current values of known secret environment variables
(and of any variable whose name says it is a key, token, secret or password), and strings shaped
like credentials (``sk-...``, ``hf_...``, ``Bearer ...``, ``Authorization: ...``) even when no
variable holds them, because an endpoint may echo a key we never saw in our own environment.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable

MARK = "<redacted>"
SECRET_VARIABLES = ("OPENAI_API_KEY", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HUGGINGFACEHUB_API_TOKEN",
                    "ANTHROPIC_API_KEY", "AZURE_OPENAI_API_KEY", "GOOGLE_API_KEY", "GEMINI_API_KEY")
_SECRET_NAME = re.compile(r"(API_?KEY|TOKEN|SECRET|PASSWORD)", re.I)
_MIN_SECRET = 8  # shorter values (e.g. "EMPTY", "1") would redact ordinary words
# Credential shapes: a known prefix, then 16+ token characters including a digit (so prose such as
# "Basic training" or "sk-learn" is left alone).
_SHAPES = re.compile(
    r"(?:\bsk-(?=[A-Za-z0-9_\-]*\d)[A-Za-z0-9_\-]{16,}"                    # OpenAI-style keys
    r"|\bhf_(?=[A-Za-z0-9]*\d)[A-Za-z0-9]{16,}"                            # Hugging Face tokens
    r"|\b(?:Bearer|Basic)\s+(?=[A-Za-z0-9._~+/=\-]*\d)[A-Za-z0-9._~+/=\-]{16,}"  # Authorization
    r"|\bxox[abprs]-[A-Za-z0-9\-]{10,}"                                    # chat tokens
    r"|\bAKIA[0-9A-Z]{16}\b)")
# Every _SHAPES match starts with one of these literals (the pattern is case-sensitive), so only
# their occurrences need the regular expression: a large text without them is scanned by str.find.
_SHAPE_STARTS = ("sk-", "hf_", "Bearer", "Basic", "xox", "AKIA")


def secret_values(environ: dict[str, str] | None = None, extra: Iterable[str] = ()) -> list[str]:
    """Values to redact: known secret variables, variables named like secrets, and ``extra``."""
    env = os.environ if environ is None else environ
    names = set(SECRET_VARIABLES) | {k for k in env if _SECRET_NAME.search(k)}
    values = {env[k] for k in names if env.get(k)} | set(extra)
    return sorted((v for v in values if len(v) >= _MIN_SECRET), key=len, reverse=True)


def redact(text: str, extra: Iterable[str] = ()) -> str:
    """``text`` with every secret value and key-shaped string replaced by ``<redacted>``."""
    for value in secret_values(extra=extra):
        if value in text:
            text = text.replace(value, MARK)
    return _redact_shapes(text)


def _starts(text: str) -> list[int]:
    """Sorted positions where a literal of :data:`_SHAPE_STARTS` occurs."""
    found: list[int] = []
    for literal in _SHAPE_STARTS:
        at = text.find(literal)
        while at >= 0:
            found.append(at)
            at = text.find(literal, at + 1)
    return sorted(found)


def _redact_shapes(text: str) -> str:
    """``_SHAPES.sub(MARK, text)``, trying the pattern only where a match can start.

    Same left-to-right, non-overlapping replacement as ``sub``: a candidate inside an earlier match
    is skipped, and ``match(text, at)`` sees the character before ``at`` for its ``\\b``."""
    pieces: list[str] = []
    done = 0
    for at in _starts(text):
        if at < done:
            continue
        found = _SHAPES.match(text, at)
        if found:
            pieces += [text[done:at], MARK]
            done = found.end()
    return "".join([*pieces, text[done:]]) if pieces else text


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the formatted message of every record it passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install_log_redaction() -> None:
    """Redact every log line FineForge emits (root handlers and logging's last-resort handler)."""
    targets = [*logging.getLogger().handlers, logging.lastResort]
    for handler in targets:
        if handler is not None and not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
