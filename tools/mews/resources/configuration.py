"""`configuration/get`, `enterprises/getAll` (CONNECTOR-API.md §5.1-5.2)."""

from __future__ import annotations

from typing import Unpack

from tools.mews.models.enterprise import (
    Configuration,
    Enterprise,
    EnterpriseFilters,
    EnterprisesResult,
)
from tools.mews.operations import Operation, PagedOperation, RetrySafety
from tools.mews.paging import MAX_PAGE_SIZE, Query
from tools.mews.resources._base import Resource, body

__all__ = ["ConfigurationResource", "EnterprisesResource"]

_GET = Operation(path="configuration/get", result=Configuration, safety=RetrySafety.READ)
_ENTERPRISES_GET_ALL = PagedOperation(
    path="enterprises/getAll", result=EnterprisesResult, filters=EnterpriseFilters
)


class ConfigurationResource(Resource):
    async def get(self, *, enterprise_id: str | None = None) -> Configuration:
        """`configuration/get`: the connected enterprise (and its chain id, which loyalty needs).

        With a Portfolio Access Token pass `enterprise_id`; without it Mews answers with the
        portfolio's placeholder enterprise (`enterprise.is_portfolio`).
        """
        return await self._client._call(_GET, body(enterprise_id=enterprise_id))


class EnterprisesResource(Resource):
    def get_all(
        self, *, page_size: int = MAX_PAGE_SIZE, **filters: Unpack[EnterpriseFilters]
    ) -> Query[Enterprise]:
        """`enterprises/getAll`: the enterprises a (portfolio) token reaches."""
        return Query(self._client, _ENTERPRISES_GET_ALL, filters, page_size)
