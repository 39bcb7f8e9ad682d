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
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Final

from tools.mews import MewsClient, MewsCredentials

__all__ = [
    "MEWS_ENV_VARIABLES",
    "SANDBOX_STATE_FILENAME",
    "open_mews",
    "sandbox_state_path",
    "uses_real_mews",
]

MEWS_ENV_VARIABLES: Final = (
    "MEWS_BASE_URL",
    "MEWS_CLIENT_TOKEN",
    "MEWS_ACCESS_TOKEN",
    "MEWS_CLIENT_NAME",
)
SANDBOX_STATE_FILENAME: Final = "sandbox-state.json"
_SANDBOX_BASE_URL: Final = "http://sandbox.invalid"
_CLIENT_NAME: Final = "mews-loyalty-assistant 0.1.0"


def sandbox_state_path() -> Path:
    """Where the embedded sandbox keeps its state (the user data directory)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("mews-loyalty")) / SANDBOX_STATE_FILENAME


def uses_real_mews(environ: Mapping[str, str] | None = None) -> bool:
    """True when any `MEWS_*` connection variable is set (then all of them must be)."""
    env = os.environ if environ is None else environ
    return any(env.get(name, "").strip() for name in MEWS_ENV_VARIABLES)


@asynccontextmanager
async def open_mews(
    *, state_path: Path | None = None, environ: Mapping[str, str] | None = None
) -> AsyncIterator[MewsClient]:
    """A client of the configured Mews, or of the embedded sandbox (see the module docstring)."""
    if uses_real_mews(environ):
        async with MewsClient(MewsCredentials.from_env(environ)) as client:
            yield client
        return
    from tools.sandbox import PORTFOLIO, Sandbox

    sandbox = Sandbox.open(state_path or sandbox_state_path())
    credentials = MewsCredentials(
        base_url=_SANDBOX_BASE_URL,
        client_token=PORTFOLIO.client_token,
        access_token=PORTFOLIO.access_token,
        client_name=_CLIENT_NAME,
    )
    try:
        async with MewsClient(credentials, transport=sandbox.httpx_transport()) as client:
            yield client
    finally:
        sandbox.persist()
