"""`services/getAll`, `products/getAll`, `resourceCategories/getAll` (CONNECTOR-API.md §5.9f)."""

from __future__ import annotations

from typing import Unpack

from tools.mews.models.enterprise import (
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
from tools.mews.operations import PagedOperation
from tools.mews.paging import MAX_PAGE_SIZE, Query
from tools.mews.resources._base import Resource

__all__ = ["ProductsResource", "ResourceCategoriesResource", "ServicesResource"]

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
