"""`configuration/get`, `enterprises/getAll` (CONNECTOR-API.md §5.1-5.2), and what the
enterprise sells: `services/getAll`, `products/getAll`, `resourceCategories/getAll` (§5.9f)."""

from __future__ import annotations

from typing import Unpack

from tools.mews.models.enterprise import (
    Configuration,
    Enterprise,
    EnterpriseFilters,
    EnterprisesResult,
    Product,
    ProductFilters,
    ProductsResult,
    ResourceCategoriesResult,
    ResourceCategory,
    ResourceCategoryFilters,
    Service,
    ServiceFilters,
    ServicesResult,
)
from tools.mews.operations import Operation, PagedOperation, RetrySafety
from tools.mews.paging import MAX_PAGE_SIZE, Query
from tools.mews.resources._base import Resource, body

__all__ = [
    "ConfigurationResource",
    "EnterprisesResource",
    "ProductsResource",
    "ResourceCategoriesResource",
    "ServicesResource",
]

_CONFIGURATION_GET = Operation(
    path="configuration/get", result=Configuration, safety=RetrySafety.READ
)
_ENTERPRISES_GET_ALL = PagedOperation(
    path="enterprises/getAll", result=EnterprisesResult, filters=EnterpriseFilters
)


class ConfigurationResource(Resource):
    async def get(self, *, enterprise_id: str | None = None) -> Configuration:
        """`configuration/get`: the connected enterprise (and its chain id, which loyalty needs).

        With a Portfolio Access Token pass `enterprise_id`; without it Mews answers with the
        portfolio's placeholder enterprise (`enterprise.is_portfolio`).
        """
        return await self._client._call(_CONFIGURATION_GET, body(enterprise_id=enterprise_id))


class EnterprisesResource(Resource):
    def get_all(
        self, *, page_size: int = MAX_PAGE_SIZE, **filters: Unpack[EnterpriseFilters]
    ) -> Query[Enterprise]:
        """`enterprises/getAll`: the enterprises a (portfolio) token reaches."""
        return Query(self._client, _ENTERPRISES_GET_ALL, filters, page_size)


_SERVICES_GET_ALL = PagedOperation(
    path="services/getAll", result=ServicesResult, filters=ServiceFilters
)
_PRODUCTS_GET_ALL = PagedOperation(
    path="products/getAll", result=ProductsResult, filters=ProductFilters
)
_RESOURCE_CATEGORIES_GET_ALL = PagedOperation(
    path="resourceCategories/getAll",
    result=ResourceCategoriesResult,
    filters=ResourceCategoryFilters,
    own_ids="ResourceCategoryIds",
)


class ServicesResource(Resource):
    def get_all(
        self, *, page_size: int = MAX_PAGE_SIZE, **filters: Unpack[ServiceFilters]
    ) -> Query[Service]:
        """`services/getAll`: what the property offers (accommodation, restaurant, ...)."""
        return Query(self._client, _SERVICES_GET_ALL, filters, page_size)


class ProductsResource(Resource):
    def get_all(
        self, *, page_size: int = MAX_PAGE_SIZE, **filters: Unpack[ProductFilters]
    ) -> Query[Product]:
        """`products/getAll`: products of the given services (`service_ids` required)."""
        return Query(self._client, _PRODUCTS_GET_ALL, filters, page_size)


class ResourceCategoriesResource(Resource):
    def get_all(
        self, *, page_size: int = MAX_PAGE_SIZE, **filters: Unpack[ResourceCategoryFilters]
    ) -> Query[ResourceCategory]:
        """`resourceCategories/getAll`: room types of the given services (`service_ids`
        required)."""
        return Query(self._client, _RESOURCE_CATEGORIES_GET_ALL, filters, page_size)
