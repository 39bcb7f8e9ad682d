"""Typed async client of the Mews Connector API (the only code of ours that talks to Mews).

    from tools.mews import MewsClient, MewsCredentials

    async with MewsClient(MewsCredentials.from_env()) as mews:
        async for membership in mews.loyalty_memberships.get_all(account_ids=ids):
            ...

- `client`: `MewsClient`, resource groups mirroring the API, `stats`.
- `models`: request and response models (pydantic), `UpdateValue` for set/clear updates;
  import them from `tools.mews.models`.
- `paging`: `Query` (async-iterable `getAll`, id batching) and `Page`.
- `errors`: `MewsError` and its tree; `retry` and `ratelimit`: the retry rule and the limiter.

This module exports what other packages use (the client, credentials, the limiter and the
errors they catch); the rest of the error tree and the paging, retry and operation types are
imported from their modules (`tools.mews.errors.MewsNotFound`). Imports nothing else of ours.
"""

from tools.mews import _no_httpx_cli, models  # noqa: F401  # the stand-in first, before httpx
from tools.mews.client import MewsClient
from tools.mews.credentials import MewsCredentials
from tools.mews.errors import (
    MewsAPIError,
    MewsBadRequest,
    MewsConfigurationError,
    MewsError,
    MewsServerError,
)
from tools.mews.ratelimit import SlidingWindowLimiter, token_key

__all__ = [
    "MewsAPIError",
    "MewsBadRequest",
    "MewsClient",
    "MewsConfigurationError",
    "MewsCredentials",
    "MewsError",
    "MewsServerError",
    "SlidingWindowLimiter",
    "token_key",
]
