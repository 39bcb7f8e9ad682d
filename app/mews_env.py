"""Whether the environment names a real Mews (`MEWS_*`), without loading the Mews client: the
command line's identity rule and `loyalty serve`'s start-up note ask before anything opens."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Final

__all__ = ["MEWS_ENV_VARIABLES", "uses_real_mews"]

MEWS_ENV_VARIABLES: Final = (
    "MEWS_BASE_URL",
    "MEWS_CLIENT_TOKEN",
    "MEWS_ACCESS_TOKEN",
    "MEWS_CLIENT_NAME",
)


def uses_real_mews(environ: Mapping[str, str] | None = None) -> bool:
    """True when any `MEWS_*` connection variable is set (then all of them must be)."""
    env = os.environ if environ is None else environ
    return any(env.get(name, "").strip() for name in MEWS_ENV_VARIABLES)
