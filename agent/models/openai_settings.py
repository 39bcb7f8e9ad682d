"""`OpenAISettings`: which OpenAI-compatible model to call, read from the environment.

Apart from the client (`agent.models.openai_model`), so that a command checks its model
configuration before importing the `openai` SDK or the session stack (`loyalty ask` with no
model configured says so at once).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Self

from agent.errors import ModelNotConfigured

__all__ = ["DEFAULT_HOSTED_MODEL", "OpenAISettings"]

DEFAULT_HOSTED_MODEL = "gpt-4.1-mini"
"""Used only against hosted OpenAI when `LOYALTY_MODEL` is unset."""

_LOCAL_API_KEY = "not-needed"
"""Local servers (Ollama, llama.cpp, vLLM without --api-key) ignore the key, but the SDK
refuses to start without one."""

_NOT_CONFIGURED = (
    "No chat model is configured. Set OPENAI_API_KEY for hosted OpenAI, or OPENAI_BASE_URL "
    "for any OpenAI-compatible server (vLLM, Ollama, llama.cpp), and LOYALTY_MODEL to the "
    "model name."
)


@dataclass(frozen=True)
class OpenAISettings:
    """Where and what to call; `from_env` reads `OPENAI_API_KEY`, `OPENAI_BASE_URL`,
    `LOYALTY_MODEL`."""

    model: str
    api_key: str
    base_url: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, model: str | None = None) -> Self:
        env = os.environ if env is None else env
        api_key = env.get("OPENAI_API_KEY") or None
        base_url = env.get("OPENAI_BASE_URL") or None
        model = model or env.get("LOYALTY_MODEL") or None
        if api_key is None and base_url is None:
            raise ModelNotConfigured(
                _NOT_CONFIGURED, ("OPENAI_API_KEY", "OPENAI_BASE_URL", "LOYALTY_MODEL")
            )
        if model is None:
            if base_url is not None:
                raise ModelNotConfigured(
                    f"OPENAI_BASE_URL is set ({base_url}) but no model is named: set "
                    "LOYALTY_MODEL to a model that server serves.",
                    ("LOYALTY_MODEL",),
                )
            model = DEFAULT_HOSTED_MODEL
        return cls(model=model, api_key=api_key or _LOCAL_API_KEY, base_url=base_url)
