"""A package `__init__` that imports the names it exports on first use (PEP 562), so that
importing one light module of the package does not load all the others:

    _EXPORTS = {"policies.config": ("Policy", "load_policy"), "policies.guard": ("Guard",)}
    __getattr__ = lazy_exports(__name__, _EXPORTS)

(The same names under `if TYPE_CHECKING:` give type checkers the static view.)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, exports: Mapping[str, Sequence[str]]) -> Callable[[str], Any]:
    """The module `__getattr__` of `package`: each name from the module `exports` lists it
    under."""
    home = {name: module for module, names in exports.items() for name in names}

    def __getattr__(name: str) -> Any:  # noqa: N807  # the module hook's own name
        module = home.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)

    return __getattr__
