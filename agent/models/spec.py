"""`model_from_spec`: the `--model` option's value → a `ChatModel`; `check_model_spec`: the
same checks without making it."""

from __future__ import annotations

import os
from collections.abc import Mapping

from agent.models.base import ChatModel
from agent.models.openai_settings import OpenAISettings
from agent.models.script_file import scripted_model_from_file


def model_from_spec(spec: str | None = None, *, env: Mapping[str, str] | None = None) -> ChatModel:
    """Build the model a `--model` value names.

    - `scripted:PATH` replays the script file at PATH (see `agent.models.script_file`);
    - `openai:MODEL` or a plain `MODEL` (Ollama-style names such as `llama3.1:8b` included)
      is that model on the configured OpenAI-compatible server;
    - `None` or `""` is the model named by `LOYALTY_MODEL`.

    Raises `ScriptError` for an unreadable script and `ModelNotConfigured` (naming the
    variables to set) when an OpenAI-compatible model is asked for but none is configured.
    """
    env = os.environ if env is None else env
    spec = (spec or "").strip()
    if spec.startswith("scripted:"):
        return scripted_model_from_file(spec.removeprefix("scripted:"))
    # Imported here so that scripted runs (the demo, evaluations) never load `openai`.
    from agent.models.openai_model import OpenAIChatModel

    return OpenAIChatModel.from_env(spec.removeprefix("openai:") or None, env=env)


def check_model_spec(spec: str | None = None, *, env: Mapping[str, str] | None = None) -> None:
    """Raise what `model_from_spec` would (`ScriptError`, `ModelNotConfigured`) without making
    the model: no `openai` import, no connection. A command checks this first, so a missing
    or wrong model configuration is reported before the session stack is imported."""
    spec = (spec or "").strip()
    if spec.startswith("scripted:"):
        scripted_model_from_file(spec.removeprefix("scripted:"))
        return
    OpenAISettings.from_env(env, model=spec.removeprefix("openai:") or None)
