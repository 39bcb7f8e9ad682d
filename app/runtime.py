"""The `LoyaltyRuntime` of a process: which Mews it talks to, chosen from the environment.

    async with open_runtime() as runtime:
        server = create_server(runtime, principal="carol")

With any `MEWS_*` variable set it is that Mews (`app.connect.open_mews`), its chains found when
`MEWS_CHAIN_IDS` names none, with a client per `MEWS_ENTERPRISE_TOKENS` hotel. Otherwise it is
the embedded sandbox kept in the user data directory (the state file `loyalty sandbox` serves
too), reached in-process with the portfolio token (the whole chain) plus each hotel's own token
for `tasks/add` and `orders/add`, which portfolio tokens cannot call; its state is saved on
close. Unless a clock is given, the embedded sandbox's clock is the runtime's: advancing it
(`POST /_sandbox/clock`, kept in its state file) moves windows, expiry and campaign reports too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from agent.errors import ConfigError
from app.connect import (
    enterprise_clients,
    open_mews,
    resolve_chains,
    sandbox_state_path,
    scope_from_env,
    uses_real_mews,
)
from storage.clock import Clock
from tools.mews import MewsClient
from tools.runtime import LoyaltyRuntime, sandbox_client, share_rate_budget

if TYPE_CHECKING:  # the simulator loads only when the embedded sandbox runs (cold start)
    from tools.sandbox import Sandbox

__all__ = ["open_checked_runtime", "open_runtime", "sandbox_enterprise_clients"]


@asynccontextmanager
async def open_runtime(
    *,
    database_url: str | None = None,
    policy_file: str | Path | None = None,
    program_file: str | Path | None = None,
    clock: Clock | None = None,
    read_audit_batch: int = 1,
    recover: bool = False,
) -> AsyncIterator[LoyaltyRuntime]:
    """The runtime on the configured Mews or the embedded sandbox (see the module docstring);
    `recover`: resolve approvals a crash left executing first (`LoyaltyRuntime.recover`: the
    long-running processes, serve, web and the webhook worker, do at start-up); the other
    arguments are `LoyaltyRuntime.open`'s."""
    async with AsyncExitStack() as stack:
        sandbox: Sandbox | None = None
        if uses_real_mews():
            mews = await stack.enter_async_context(open_mews())
            await resolve_chains(mews)
            singles = enterprise_clients(mews, scope_from_env())
        else:
            from storage.progress import step
            from tools.sandbox import PORTFOLIO, STORY, Sandbox

            sandbox = Sandbox.open(sandbox_state_path(), progress=step)  # a command's bar counts
            stack.callback(sandbox.persist)
            clock = clock or sandbox.clock
            mews = sandbox_client(sandbox, PORTFOLIO, chain_ids=(STORY.chain_id,))
            singles = sandbox_enterprise_clients(sandbox)
            stack.push_async_callback(mews.aclose)
        for client in singles.values():
            stack.push_async_callback(client.aclose)
        runtime = await LoyaltyRuntime.open(
            database_url=database_url,
            policy_file=policy_file,
            program_file=program_file,
            mews=mews,
            sandbox=sandbox,
            clock=clock,
            read_audit_batch=read_audit_batch,
            enterprise_mews=singles,
        )
        async with runtime:
            if sandbox is None:  # real Mews: one budget per token for every process
                share_rate_budget(runtime.store, [mews, *singles.values()])
            if recover:
                await runtime.recover()
            yield runtime


@asynccontextmanager
async def open_checked_runtime() -> AsyncIterator[LoyaltyRuntime]:
    """`open_runtime()` for a command that reports what stops it as `ConfigError` (a broken
    policy or program file, incomplete `MEWS_*`, a database that does not open)."""
    from sqlalchemy.exc import SQLAlchemyError

    from policies import PolicyError
    from storage.store import StoreError
    from tools.loyalty import ProgramConfigError
    from tools.mews import MewsConfigurationError

    async with AsyncExitStack() as stack:
        try:
            runtime = await stack.enter_async_context(open_runtime())
        except (PolicyError, ProgramConfigError, MewsConfigurationError) as exc:
            raise ConfigError(str(exc)) from None
        except (StoreError, SQLAlchemyError) as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise ConfigError(f"cannot open the database: {first}") from None
        yield runtime


def sandbox_enterprise_clients(sandbox: Sandbox) -> dict[str, MewsClient]:
    """The portfolio integration's own token for each hotel of the sandbox chain (the UK hotel
    first: tasks with no hotel of their own go there), for what portfolio tokens may not call."""
    from tools.sandbox import PORTFOLIO_HOTELS, STORY

    return {
        token.enterprise_id: sandbox_client(sandbox, token, chain_ids=(STORY.chain_id,))
        for token in PORTFOLIO_HOTELS
    }
