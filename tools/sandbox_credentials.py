"""A sandbox token pair as Mews credentials, apart from `tools.runtime` so that what only
connects to a sandbox (the benchmarks, `loyalty sandbox`'s client) does not import the runtime's
policy, ledger and automation modules with it. (`tools.sandbox` itself imports nothing of ours.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tools.mews.credentials import MewsCredentials

if TYPE_CHECKING:
    from tools.sandbox import Integration

__all__ = ["SANDBOX_BASE_URL", "sandbox_credentials"]

SANDBOX_BASE_URL = "http://sandbox.invalid"
"""The in-process sandbox's address (its transport answers every request, whatever the host)."""


def sandbox_credentials(
    integration: Integration, client_name: str, *, base_url: str = SANDBOX_BASE_URL
) -> MewsCredentials:
    """A sandbox token pair as Mews credentials: at the in-process sandbox's address, or at
    `base_url` where a sandbox serves over HTTP (the benchmarks)."""
    return MewsCredentials(
        base_url=base_url,
        client_token=integration.client_token,
        access_token=integration.access_token,
        client_name=client_name,
    )
