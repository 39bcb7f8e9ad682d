"""The Connector API operations, one module per area, registered in one path table.

`OPERATIONS` maps each exact path (`/api/connector/v1/loyaltyMemberships/getAll`, …) to its
handler, whether it writes, and the entity array of a paginated operation.
"""

from __future__ import annotations

from tools.sandbox.ops import (  # noqa: F401  (importing a module registers its operations)
    accounts,
    billing,
    catalogue,
    configuration,
    customers,
    loyalty,
    messaging,
    notes,
    order_items,
    reservations,
    tasks,
)
from tools.sandbox.ops._registry import PREFIX, Operation, registered

__all__ = ["OPERATIONS", "PREFIX", "Operation"]

OPERATIONS: dict[str, Operation] = registered()
