"""`completion/complete`: suggestions for prompt arguments and the member resource template.

- `customer_id` (the prompts, `loyalty://members/{customer_id}`): members by name, e-mail or
  membership number as typed (the same search as `find_members`, audited as a read), answered
  as the customer ids a client fills in; at most `MAX_VALUES`.
- `channel`, `program_code`: the known values starting with what was typed.

Anything else (free text such as `question`, an unknown prompt or template) gets no
suggestions: an empty list, which the protocol allows.
"""

from __future__ import annotations

import mcp_types as types

from policies import Denied
from tools.server.member import candidate_ids
from tools.server.tooling import ToolEnv

__all__ = ["MAX_VALUES", "complete"]

MAX_VALUES = 20
_CHANNELS = ("email", "sms", "phone", "in_person", "letter")
_MEMBER_TEMPLATE = "loyalty://members/{customer_id}"
_MIN_SEARCH = 2  # fewer letters than this match too many guests to be useful


async def complete(env: ToolEnv, params: types.CompleteRequestParams) -> types.CompleteResult:
    name, typed = params.argument.name, params.argument.value.strip()
    if not _known(params.ref, name):
        return _values([])
    if name == "customer_id":
        return _values(await _members(env, typed))
    if name == "channel":
        return _values([c for c in _CHANNELS if c.startswith(typed.lower())])
    if name == "program_code":
        codes = list(env.runtime.programs.programs)
        return _values([c for c in codes if c.casefold().startswith(typed.casefold())])
    return _values([])


def _known(ref: types.PromptReference | types.ResourceTemplateReference, name: str) -> bool:
    from tools.server.content import PROMPTS

    if isinstance(ref, types.ResourceTemplateReference):
        return ref.uri == _MEMBER_TEMPLATE and name == "customer_id"
    prompt = PROMPTS.get(ref.name)
    return prompt is not None and any(a.name == name for a in prompt.prompt.arguments or ())


async def _members(env: ToolEnv, typed: str) -> list[str]:
    if len(typed) < _MIN_SEARCH:
        return []

    async def search() -> list[str]:
        return (await candidate_ids(env, typed))[:MAX_VALUES]

    found = await env.runtime.guard.read(
        env.principal, "complete_customer_id", {"value": typed}, search
    )
    return [] if isinstance(found, Denied) else found


def _values(values: list[str]) -> types.CompleteResult:
    shown = values[:MAX_VALUES]
    return types.CompleteResult(
        completion=types.Completion(
            values=shown, total=len(values), has_more=len(values) > len(shown)
        )
    )
