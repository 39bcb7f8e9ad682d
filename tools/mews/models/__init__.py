"""Pydantic models of the Mews Connector API, split by area (see each module).

Response models are frozen and ignore unknown properties; request models (`*Parameters`,
`*Filters`) reject them. Properties are PascalCase on the wire and snake_case here.

The package exports what each module lists in its `__all__`.
"""

# ruff: noqa: F403  (the package is the union of its modules' `__all__`)

from tools.mews.models.common import *
from tools.mews.models.customers import *
from tools.mews.models.enterprise import *
from tools.mews.models.loyalty import *
from tools.mews.models.orders import *
from tools.mews.models.tasks import *
