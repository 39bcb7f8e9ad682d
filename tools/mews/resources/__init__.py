"""Resource groups of `MewsClient`, one class per Mews resource, one method per operation."""

import importlib
import pkgutil

from tools.mews.models.common import MewsResponse
from tools.mews.operations import Operation
from tools.mews.resources.customers import AccountNotesResource, CustomersResource
from tools.mews.resources.enterprise import (
    ConfigurationResource,
    EnterprisesResource,
    ProductsResource,
    ResourceCategoriesResource,
    ServicesResource,
)
from tools.mews.resources.loyalty import (
    LoyaltyMembershipsResource,
    LoyaltyProgramsResource,
    LoyaltyTiersResource,
)
from tools.mews.resources.orders import (
    AccountingCategoriesResource,
    BillsResource,
    OrderItemsResource,
    OrdersResource,
    ProductServiceOrdersResource,
    ReservationsResource,
)
from tools.mews.resources.tasks import TasksResource

__all__ = [
    "AccountNotesResource",
    "AccountingCategoriesResource",
    "BillsResource",
    "ConfigurationResource",
    "CustomersResource",
    "EnterprisesResource",
    "LoyaltyMembershipsResource",
    "LoyaltyProgramsResource",
    "LoyaltyTiersResource",
    "OrderItemsResource",
    "OrdersResource",
    "ProductServiceOrdersResource",
    "ProductsResource",
    "ReservationsResource",
    "ResourceCategoriesResource",
    "ServicesResource",
    "TasksResource",
    "all_operations",
]


def all_operations() -> dict[str, Operation[MewsResponse]]:
    """Every operation the client implements, by path (for contract tests and tooling): those
    declared in the package's resource modules, every one of them, so a new one is not missed."""
    modules = [
        importlib.import_module(f"{__name__}.{module.name}")
        for module in pkgutil.iter_modules(__path__)
        if not module.name.startswith("_")
    ]
    return {
        value.path: value
        for module in modules
        for value in vars(module).values()
        if isinstance(value, Operation)
    }
