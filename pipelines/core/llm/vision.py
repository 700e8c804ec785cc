"""Vision messages: text plus images (video frames) as base64 data URLs.

Images are sent inline as ``data:image/jpeg;base64,...`` / ``data:image/png;base64,...`` URLs, which
every OpenAI-compatible vision server accepts (OpenAI, vLLM, Ollama, llama.cpp). The type is read
from the file's magic bytes, not its name. Frames are sent in the order given: the caller orders
them (numerically, see the frame-naming contract) before building the message.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pipelines.core.errors import InputError

ImageSource = str | Path | bytes

_MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))


def image_data_url(image: ImageSource) -> str:
    """A data URL for a JPEG or PNG given as a path or bytes; anything else is an InputError."""
    name = "<bytes>" if isinstance(image, bytes) else str(image)
    if isinstance(image, bytes):
        data = image
    else:
        try:
            data = Path(image).read_bytes()
        except OSError as exc:
            raise InputError(name, f"cannot read image: {exc.strerror or exc}") from None
    mime = next((m for magic, m in _MAGIC if data.startswith(magic)), None)
    if mime is None:
        raise InputError(name, "not a JPEG or PNG image")
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def user_message(text: str, images: Sequence[ImageSource] = (),
                 detail: Literal["auto", "low", "high"] = "auto") -> dict[str, Any]:
    """A user message: ``text`` first, then one ``image_url`` part per image, in order.

    ``detail`` is sent only when not ``"auto"`` (some servers reject unknown fields).
    """
    if not images:
        return {"role": "user", "content": text}
    parts: list[dict[str, Any]] = [{"type": "text", "text": text}]
    for image in images:
        url: dict[str, str] = {"url": image_data_url(image)}
        if detail != "auto":
            url["detail"] = detail
        parts.append({"type": "image_url", "image_url": url})
    return {"role": "user", "content": parts}


def system_message(text: str) -> dict[str, Any]:
    return {"role": "system", "content": text}
