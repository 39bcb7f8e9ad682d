"""`OpenAIChatModel`: any OpenAI-compatible chat-completions server through the `openai` SDK.

Hosted OpenAI, vLLM, Ollama and llama.cpp servers all speak the same protocol; only the base
URL, the API key and the model name differ. Retries on 408/409/429/5xx (with exponential
backoff, honouring `Retry-After`) and timeouts are the SDK's own (`max_retries`, `timeout`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, Self

import openai
from openai import AsyncOpenAI

from agent.errors import (
    ModelConnectionError,
    ModelError,
    ModelHTTPError,
    ModelTimeoutError,
)
from agent.models.openai_settings import OpenAISettings
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
