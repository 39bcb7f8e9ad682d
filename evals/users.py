"""Simulated users: the scripted user (the task's turns, in order) and an LLM playing the persona.

A user gives the opening message, then reads each final answer and either says something more
or stops. The LLM user follows τ-bench: it is told the persona, the instruction and what it
knows, must not invent what it does not know, and ends the conversation with `###STOP###`.
"""

from __future__ import annotations

from typing import Protocol

from agent.models import (
    AssistantMessage,
    ChatModel,
    ChatRequest,
    Message,
    SystemMessage,
    UserMessage,
)
from evals.task_files import UserSpec

__all__ = ["STOP", "LLMUser", "ScriptedUser", "SimulatedUser"]

STOP = "###STOP###"


class SimulatedUser(Protocol):
    async def next_message(self, answers: list[str]) -> str | None:
        """The next thing the user says after `answers` (the assistant's so far), or None."""
        ...


class ScriptedUser:
    """Says the task's turns in order, one per assistant answer."""

    def __init__(self, turns: list[str]) -> None:
        self._turns = list(turns)

    async def next_message(self, answers: list[str]) -> str | None:
        index = len(answers)
        return self._turns[index] if index < len(self._turns) else None


class LLMUser:
    """A chat model playing the staff member of the task; at most `max_turns` messages."""

    def __init__(self, model: ChatModel, spec: UserSpec, *, max_turns: int | None = None) -> None:
        self._model = model
        self._spec = spec
        self._max_turns = max_turns or len(spec.turns) + 2
        self._said: list[str] = []

    def _system(self) -> str:
        spec = self._spec
        known = "\n".join(f"- {key}: {value}" for key, value in spec.known.items()) or "- nothing"
        unknown = "\n".join(f"- {item}" for item in spec.unknown) or "- nothing"
        return (
            "You are role-playing a hotel staff member talking to the hotel's loyalty "
            "assistant. Write only what this person would type, one short message at a time.\n"
            f"Persona: {spec.persona}\nYour goal: {spec.instruction}\n"
            f"What you know:\n{known}\nWhat you do not know (never invent it):\n{unknown}\n"
            f"When your goal is met or cannot be met, reply with exactly {STOP}."
        )

    async def next_message(self, answers: list[str]) -> str | None:
        if len(answers) >= self._max_turns:
            return None
        if not answers:
            self._said = [self._spec.turns[0]]
            return self._said[0]
        # The simulator speaks as the assistant role; the agent's answers reach it as the user.
        messages: list[Message] = [SystemMessage(content=self._system())]
        for said, answer in zip(self._said, answers, strict=False):
            messages.append(AssistantMessage(content=said))
            messages.append(UserMessage(content=answer))
        response = await self._model.complete(ChatRequest(messages=tuple(messages)))
        text = (response.text or "").strip()
        if not text or STOP in text:
            return None
        self._said.append(text)
        return text
