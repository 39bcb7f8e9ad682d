"""`OpenAIChatModel`: any OpenAI-compatible chat-completions server through the `openai` SDK.

Hosted OpenAI, vLLM, Ollama and llama.cpp servers all speak the same protocol; only the base
URL, the API key and the model name differ. Retries on 408/409/429/5xx (with exponential
backoff, honouring `Retry-After`) and timeouts are the SDK's own (`max_retries`, `timeout`).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, Self

import openai
from openai import AsyncOpenAI

from agent.errors import (
    ModelConnectionError,
    ModelError,
    ModelHTTPError,
    ModelNotConfigured,
    ModelTimeoutError,
)
from agent.models.openai_wire import (
    StreamAssembler,
    finish_reason,
    from_wire_completion,
    from_wire_usage,
    to_wire_messages,
    to_wire_tools,
)
from agent.models.types import (
    ChatEvent,
    ChatRequest,
    ChatResponse,
    ResponseDone,
    TextDelta,
    ToolCallReady,
)

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


class OpenAIChatModel:
    """A `ChatModel` on an OpenAI-compatible server.

    Pass `client` to reuse a configured `AsyncOpenAI`; otherwise one is built from `settings`
    with `timeout` seconds per request and `max_retries` retries. Close with `aclose()` or use
    `async with`.
    """

    def __init__(
        self,
        settings: OpenAISettings,
        *,
        timeout: float = 60.0,
        max_retries: int = 2,
        client: AsyncOpenAI | None = None,
    ) -> None:
        self.settings = settings
        self._client = client or AsyncOpenAI(
            api_key=settings.api_key,
            base_url=settings.base_url,
            timeout=timeout,
            max_retries=max_retries,
        )

    @classmethod
    def from_env(
        cls,
        model: str | None = None,
        *,
        env: Mapping[str, str] | None = None,
        timeout: float = 60.0,
        max_retries: int = 2,
    ) -> Self:
        """Configure from the environment; raises `ModelNotConfigured` naming what to set."""
        settings = OpenAISettings.from_env(env, model=model)
        return cls(settings, timeout=timeout, max_retries=max_retries)

    @property
    def name(self) -> str:
        return f"openai:{self.settings.model}"

    async def complete(self, request: ChatRequest) -> ChatResponse:
        try:
            completion = await self._client.chat.completions.create(
                **self._arguments(request), stream=False
            )
        except openai.OpenAIError as exc:
            raise _model_error(exc) from exc
        return from_wire_completion(completion)

    async def stream(self, request: ChatRequest) -> AsyncIterator[ChatEvent]:
        assembler = StreamAssembler()
        try:
            chunks = await self._client.chat.completions.create(
                **self._arguments(request),
                stream=True,
                stream_options={"include_usage": True},
            )
            async with chunks:
                async for chunk in chunks:
                    if chunk.usage is not None:  # the last chunk, with no choices
                        assembler.usage = from_wire_usage(chunk.usage)
                    for choice in chunk.choices[:1]:
                        if choice.delta.content:
                            assembler.text.append(choice.delta.content)
                            yield TextDelta(text=choice.delta.content)
                        for delta in choice.delta.tool_calls or ():
                            assembler.add_tool_delta(delta)
                        if choice.finish_reason is not None:
                            assembler.finish = finish_reason(choice.finish_reason)
        except openai.OpenAIError as exc:
            raise _model_error(exc) from exc
        response = assembler.response()
        for call in response.tool_calls:
            yield ToolCallReady(call=call)
        yield ResponseDone(response=response)

    def _arguments(self, request: ChatRequest) -> dict[str, Any]:
        arguments: dict[str, Any] = {
            "model": self.settings.model,
            "messages": to_wire_messages(request.messages),
        }
        if request.tools:
            arguments["tools"] = to_wire_tools(request.tools)
            if not request.parallel_tool_calls:
                # Sent only to turn it off: parallel calls are every server's default, and
                # some compatible servers reject parameters they do not know.
                arguments["parallel_tool_calls"] = False
        return arguments

    async def aclose(self) -> None:
        await self._client.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


def _model_error(exc: openai.OpenAIError) -> ModelError:
    if isinstance(exc, openai.APITimeoutError):
        return ModelTimeoutError(f"the model server did not answer in time: {exc}")
    if isinstance(exc, openai.APIConnectionError):
        return ModelConnectionError(f"cannot reach the model server: {exc}")
    if isinstance(exc, openai.APIStatusError):
        return ModelHTTPError(exc.status_code, exc.message)
    return ModelError(f"{type(exc).__name__}: {exc}")
