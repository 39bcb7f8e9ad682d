"""`open_mews()`: the Mews connection commands and the server use.

    async with open_mews() as mews:
        config = await mews.configuration.get()

With any `MEWS_*` variable set, it connects to that Mews (`MewsCredentials.from_env()`, which
names the missing variables if the set is incomplete). Otherwise it runs the embedded sandbox
in-process: the simulator kept in `sandbox-state.json` in the user data directory (the same file
`loyalty sandbox` serves by default, so both see the same chain) is opened and reached through
its in-memory transport, with the sandbox's portfolio token (the whole demo chain). Writes are
saved to the state file as they happen.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from app.mews_env import MEWS_ENV_VARIABLES, uses_real_mews
from tools.mews import MewsClient, MewsConfigurationError, MewsCredentials

__all__ = [
    "MEWS_ENV_VARIABLES",
    "SANDBOX_STATE_FILENAME",
    "MewsScope",
    "enterprise_clients",
    "open_mews",
    "resolve_chains",
    "sandbox_state_path",
    "scope_from_env",
    "uses_real_mews",
]

SANDBOX_STATE_FILENAME: Final = "sandbox-state.json"
_CLIENT_NAME: Final = "mews-loyalty-assistant 0.1.0"


_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@dataclass(frozen=True)
class MewsScope:
    """Which chains the connection works on and how to reach single enterprises.

    - `chain_ids` (`MEWS_CHAIN_IDS`, comma-separated): sent as `ChainIds` on chain-scoped
      reads; the first is the chain of new programs and tiers. Empty: found from Mews
      (`resolve_chains`).
    - `enterprise_tokens` (`MEWS_ENTERPRISE_TOKENS`, `enterprise-id=access-token,...`): the
      single-enterprise access tokens for operations Mews refuses to portfolio tokens
      (`tasks/add`) or that act on one hotel (`orders/add`).
    - `default_enterprise` (`MEWS_DEFAULT_ENTERPRISE_ID`, else the first of
      `MEWS_ENTERPRISE_TOKENS`): where a task with no reservation goes (approval requests).
    """

    chain_ids: tuple[str, ...] = ()
    enterprise_tokens: Mapping[str, str] = field(default_factory=dict, repr=False)
    default_enterprise: str | None = None


def _guid(value: str, variable: str) -> str:
    value = value.strip()
    if not _GUID.match(value):
        raise MewsConfigurationError(f"{variable}: {value!r} is not a Mews id (a GUID)")
    return value.lower()


def scope_from_env(environ: Mapping[str, str] | None = None) -> MewsScope:
    """Read `MEWS_CHAIN_IDS`, `MEWS_ENTERPRISE_TOKENS` and `MEWS_DEFAULT_ENTERPRISE_ID`."""
    env = os.environ if environ is None else environ
    chains = tuple(
        dict.fromkeys(
            _guid(part, "MEWS_CHAIN_IDS")
            for part in env.get("MEWS_CHAIN_IDS", "").split(",")
            if part.strip()
        )
    )
    tokens: dict[str, str] = {}
    for pair in env.get("MEWS_ENTERPRISE_TOKENS", "").split(","):
        if not pair.strip():
            continue
        enterprise, sep, token = pair.partition("=")
        if not sep or not token.strip():
            raise MewsConfigurationError(
                "MEWS_ENTERPRISE_TOKENS: expected enterprise-id=access-token pairs separated "
                f"by commas, got {pair.strip()[:40]!r}"
            )
        tokens[_guid(enterprise, "MEWS_ENTERPRISE_TOKENS")] = token.strip()
    default = env.get("MEWS_DEFAULT_ENTERPRISE_ID", "").strip()
    chosen = _guid(default, "MEWS_DEFAULT_ENTERPRISE_ID") if default else next(iter(tokens), None)
    if chosen is not None and tokens and chosen not in tokens:
        raise MewsConfigurationError(
            f"MEWS_DEFAULT_ENTERPRISE_ID: {chosen} has no token in MEWS_ENTERPRISE_TOKENS"
        )
    return MewsScope(chains, tokens, chosen)


def enterprise_clients(
    main: MewsClient, scope: MewsScope, **client_options: Any
) -> dict[str, MewsClient]:
    """One client per configured enterprise token (same address and client token as `main`),
    the default enterprise first (tasks with no hotel of their own go there)."""
    order = sorted(scope.enterprise_tokens, key=lambda e: e != scope.default_enterprise)
    tokens = {enterprise: scope.enterprise_tokens[enterprise] for enterprise in order}
    return {
        enterprise: MewsClient(
            replace(main.credentials, access_token=token),
            chain_ids=main.chain_ids,
            **client_options,
        )
        for enterprise, token in tokens.items()
    }


async def resolve_chains(mews: MewsClient) -> tuple[str, ...]:
    """The chains to work on when none are configured: the token's enterprise's chain, or for a
    portfolio token the chains of every enterprise in its scope (never the portfolio's
    placeholder enterprise). Sets them on the client so reads carry `ChainIds`."""
    if mews.chain_ids:
        return mews.chain_ids
    config = await mews.configuration.get()
    if not config.enterprise.is_portfolio:
        chains: tuple[str, ...] = (config.enterprise.chain_id or config.enterprise.id,)
    else:
        found = await mews.enterprises.get_all().to_list()
        chains = tuple(dict.fromkeys(e.chain_id for e in found if e.chain_id))
        if not chains:
            raise MewsConfigurationError(
                "the portfolio token sees no enterprise with a chain: set MEWS_CHAIN_IDS"
            )
    mews.chain_ids = chains
    return chains


def sandbox_state_path() -> Path:
    """Where the embedded sandbox keeps its state (the user data directory), also what
    `loyalty sandbox` serves by default."""
    from storage.store import user_data_dir

    return user_data_dir("mews-loyalty") / SANDBOX_STATE_FILENAME


@asynccontextmanager
async def open_mews(
    *, state_path: Path | None = None, environ: Mapping[str, str] | None = None
) -> AsyncIterator[MewsClient]:
    """A client of the configured Mews, or of the embedded sandbox (see the module docstring)."""
    if uses_real_mews(environ):
        scope = scope_from_env(environ)
        credentials = MewsCredentials.from_env(environ)
        async with MewsClient(credentials, chain_ids=scope.chain_ids) as client:
            yield client
        return
    from storage.progress import step
    from tools.sandbox import PORTFOLIO, STORY, Sandbox
    from tools.sandbox_credentials import sandbox_credentials

    sandbox = Sandbox.open(state_path or sandbox_state_path(), progress=step)
    try:
        async with MewsClient(
            sandbox_credentials(PORTFOLIO, _CLIENT_NAME),
            transport=sandbox.httpx_transport(),
            chain_ids=(STORY.chain_id,),
        ) as client:
            yield client
    finally:
        sandbox.persist()
