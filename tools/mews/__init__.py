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

Imports nothing else of ours.
"""

from tools.mews import _no_httpx_cli, models  # noqa: F401  # the stand-in first, before httpx
from tools.mews.client import API_PREFIX, MewsClient, MewsStats
from tools.mews.credentials import DEMO_BASE_URL, PRODUCTION_BASE_URL, MewsCredentials
from tools.mews.errors import (
    MewsAPIError,
    MewsBadRequest,
    MewsConfigurationError,
    MewsConflict,
    MewsError,
    MewsForbidden,
    MewsNotFound,
    MewsPayloadTooLarge,
    MewsRateLimited,
    MewsRequestTimeout,
    MewsResponseError,
    MewsServerError,
    MewsTransportError,
    MewsUnauthorized,
)
from tools.mews.operations import Operation, PagedOperation, RetrySafety
from tools.mews.paging import MAX_PAGE_SIZE, Page, Query
from tools.mews.ratelimit import SlidingWindowLimiter, limiter_for
from tools.mews.retry import RetryPolicy

__all__ = [
    "API_PREFIX",
    "DEMO_BASE_URL",
    "MAX_PAGE_SIZE",
    "PRODUCTION_BASE_URL",
    "MewsAPIError",
    "MewsBadRequest",
    "MewsClient",
    "MewsConfigurationError",
    "MewsConflict",
    "MewsCredentials",
    "MewsError",
    "MewsForbidden",
    "MewsNotFound",
    "MewsPayloadTooLarge",
    "MewsRateLimited",
    "MewsRequestTimeout",
    "MewsResponseError",
    "MewsServerError",
    "MewsStats",
    "MewsTransportError",
    "MewsUnauthorized",
    "Operation",
    "Page",
    "PagedOperation",
    "Query",
    "RetryPolicy",
    "RetrySafety",
    "SlidingWindowLimiter",
    "limiter_for",
    "models",
]
