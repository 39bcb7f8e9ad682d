"""Where the client connects and as whom (CONNECTOR-API.md §1)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from tools.mews.errors import MewsConfigurationError

__all__ = ["DEMO_BASE_URL", "PRODUCTION_BASE_URL", "MewsCredentials"]

DEMO_BASE_URL = "https://api.mews-demo.com"
PRODUCTION_BASE_URL = "https://api.mews.com"

_ENV_VARIABLES = ("MEWS_BASE_URL", "MEWS_CLIENT_TOKEN", "MEWS_ACCESS_TOKEN", "MEWS_CLIENT_NAME")


@dataclass(frozen=True)
class MewsCredentials:
    """The platform address and the token set every request carries.

    Tokens never appear in `repr()` (nor in logs or error messages). `language_code` and
    `culture_code` are sent only together, as Mews requires; giving one alone is an error.
    """

    base_url: str
    client_token: str = field(repr=False)
    access_token: str = field(repr=False)
    client_name: str
    language_code: str | None = None
    culture_code: str | None = None

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("https://", "http://")):
            raise MewsConfigurationError(
                f"Mews base URL must start with https:// (e.g. {DEMO_BASE_URL}), "
                f"got {self.base_url!r}"
            )
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        for name in ("client_token", "access_token", "client_name"):
            if not getattr(self, name).strip():
                raise MewsConfigurationError(f"Mews {name} must not be empty")
        if (self.language_code is None) != (self.culture_code is None):
            raise MewsConfigurationError(
                "Mews needs language_code and culture_code together; set both or neither"
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> MewsCredentials:
        """Read `MEWS_BASE_URL`, `MEWS_CLIENT_TOKEN`, `MEWS_ACCESS_TOKEN`, `MEWS_CLIENT_NAME`."""
        env = os.environ if environ is None else environ
        missing = [name for name in _ENV_VARIABLES if not env.get(name, "").strip()]
        if missing:
            raise MewsConfigurationError(
                f"Mews is not configured: set {', '.join(missing)} "
                f"(base URL e.g. {DEMO_BASE_URL} for the demo environment)"
            )
        return cls(
            base_url=env["MEWS_BASE_URL"].strip(),
            client_token=env["MEWS_CLIENT_TOKEN"].strip(),
            access_token=env["MEWS_ACCESS_TOKEN"].strip(),
            client_name=env["MEWS_CLIENT_NAME"].strip(),
        )

    def envelope(self) -> dict[str, str]:
        """The properties every request body starts with (CONNECTOR-API.md §1.3)."""
        body = {
            "ClientToken": self.client_token,
            "AccessToken": self.access_token,
            "Client": self.client_name,
        }
        if self.language_code is not None and self.culture_code is not None:
            body["LanguageCode"] = self.language_code
            body["CultureCode"] = self.culture_code
        return body
