"""LLM client configuration and the shared ``--llm`` command-line options.

The config never holds the API key itself (it is read from the environment variable named by
``api_key_env`` when the client starts), so :meth:`LLMConfig.for_manifest` is safe to publish.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipelines.core.errors import ConfigError


def default_cache_dir() -> Path:
    """``$FINEFORGE_CACHE_DIR/llm``, else ``$XDG_CACHE_HOME/fineforge/llm``, else ``~/.cache/...``."""
    if root := os.environ.get("FINEFORGE_CACHE_DIR"):
        return Path(root) / "llm"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fineforge" / "llm"


class LLMConfig(BaseModel):
    """Every knob of :class:`~pipelines.core.llm.client.LLMClient` (unknown fields are errors)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    backend: Literal["offline", "openai"] = "offline"
    base_url: str | None = None  # None: $OPENAI_BASE_URL, else the OpenAI API
    model: str = "gpt-4o-mini"
    api_key_env: str = "OPENAI_API_KEY"
    max_concurrency: int = Field(16, ge=1, le=1024)
    max_retries: int = Field(6, ge=0, le=100)  # transport retries: 429, 408/409, 5xx, timeouts, bad bodies
    max_invalid_retries: int = Field(2, ge=0, le=20)  # extra attempts after an invalid/empty answer
    timeout_s: float = Field(60.0, gt=0)
    backoff_base_s: float = Field(0.5, ge=0)
    backoff_max_s: float = Field(30.0, ge=0)
    max_retry_after_s: float = Field(60.0, ge=0)  # a longer Retry-After fails the request (reason
    # retry_after_too_long) instead of stalling every request of the client
    rpm: float | None = Field(None, gt=0)
    tpm: float | None = Field(None, gt=0)
    temperature: float | None = Field(0.0, ge=0, le=2)
    max_tokens: int | None = Field(1024, ge=1)
    seed: int | None = None
    structured_output: Literal["json_schema", "json_object", "prompt"] = "json_schema"
    cache: bool = True
    cache_dir: Path = Field(default_factory=default_cache_dir)
    failed_path: Path | None = None
    price_input_per_1k: float | None = Field(None, ge=0)
    price_output_per_1k: float | None = Field(None, ge=0)
    progress: bool = True  # False: no progress bar (``--no-progress``)

    @classmethod
    def make(cls, **fields: Any) -> LLMConfig:
        """Build a config; a bad field raises :class:`ConfigError` with one line naming it."""
        try:
            return cls(**fields)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "llm"
            raise ConfigError(f"llm config: {where}: {err['msg']}") from None

    def for_manifest(self) -> dict[str, Any]:
        """The parameters that shape answers and cost (no machine-specific paths, no secrets)."""
        return self.model_dump(mode="json", exclude={"cache_dir", "failed_path", "api_key_env",
                                                             "progress"})


_FLAGS: dict[str, tuple[str, type]] = {
    "base_url": ("--base-url", str), "model": ("--model", str),
    "max_concurrency": ("--llm-concurrency", int), "max_retries": ("--llm-max-retries", int),
    "timeout_s": ("--llm-timeout", float), "rpm": ("--llm-rpm", float), "tpm": ("--llm-tpm", float),
    "cache_dir": ("--llm-cache-dir", Path), "max_retry_after_s": ("--llm-max-retry-after", float),
}


def add_llm_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--llm {offline,openai}`` (default offline), ``--base-url``, ``--model`` and friends."""
    group = parser.add_argument_group("LLM back-end")
    group.add_argument("--llm", choices=["offline", "openai"], default="offline",
                       help="offline: deterministic built-in generator (default); openai: any "
                            "OpenAI-compatible endpoint, key from $OPENAI_API_KEY")
    for name, (flag, kind) in _FLAGS.items():
        group.add_argument(flag, dest=f"llm_{name}", type=kind, default=None)
    group.add_argument("--no-llm-cache", dest="llm_cache", action="store_false", default=True)


def config_from_args(args: argparse.Namespace, **overrides: Any) -> LLMConfig:
    """An :class:`LLMConfig` from parsed :func:`add_llm_arguments` options plus ``overrides``."""
    fields: dict[str, Any] = {"backend": args.llm, "cache": args.llm_cache}
    fields |= {name: v for name in _FLAGS if (v := getattr(args, f"llm_{name}", None)) is not None}
    return LLMConfig.make(**(fields | overrides))


def recipe_config(args: argparse.Namespace, backend: str, **overrides: Any) -> LLMConfig | None:
    """A recipe's LLM configuration: None for the ``offline`` generator, but every ``--llm-*``
    flag is checked either way (an impossible setting fails now, not once ``--llm openai`` is
    added)."""
    config = config_from_args(args, backend=backend, **overrides)
    return None if backend == "offline" else config
