"""The context of one API request: who is calling, what they may see, and the time.

Scope rules (documented in the report and the tests):

- A single-enterprise token sees its enterprise and that enterprise's chain. `EnterpriseIds` /
  `ChainIds` filters and `EnterpriseId` / `ChainId` parameters are ignored for it (the docs say
  "ignored otherwise" for the portfolio-only parameters; the documented examples send portfolio
  style ids with a single-enterprise demo token).
- The portfolio token sees both enterprises and the chain. Its `EnterpriseIds` / `ChainIds`
  filters narrow the scope (ids outside it are simply not visible), and `customers/getAll`
  requires `ChainIds` (400 without, as documented); chain-scoped writes need
  `ChainId`, enterprise-scoped writes need `EnterpriseId` (400 otherwise, 400 `Invalid ChainId` /
  `Invalid EnterpriseId` outside the scope). Operations that take no enterprise parameter and
  are not documented as portfolio-capable (`tasks/add`, `messageThreads/add`, `messages/add`,
  `customers/search`) refuse the portfolio token with 400.
"""

from __future__ import annotations

from dataclasses import dataclass

from tools.sandbox.errors import bad_request, invalid
from tools.sandbox.state import State
from tools.sandbox.tokens import Integration
from tools.sandbox.validation import Obj
from tools.sandbox.world import CHAIN_ID, World

__all__ = ["Ctx"]


@dataclass
class Ctx:
    state: State
    integration: Integration
    now: int
    path: str

    @property
    def world(self) -> World:
        return self.state.world

    @property
    def portfolio(self) -> bool:
        return self.integration.portfolio

    @property
    def client_token(self) -> str:
        return self.integration.client_token

    def chain_of(self, enterprise_id: str) -> str:
        return CHAIN_ID if enterprise_id in self.world.enterprises else ""

    def enterprises(self, q: Obj | None = None, key: str = "EnterpriseIds") -> set[str]:
        """Enterprises the request reads from."""
        scope = set(self.integration.enterprise_ids)
        requested = q.guids(key) if q is not None else None
        if not self.portfolio or not requested:
            return scope
        return scope & set(requested)

    def chains(self, q: Obj | None = None, key: str = "ChainIds") -> set[str]:
        """Chains the request reads from."""
        scope = {self.chain_of(e) for e in self.integration.enterprise_ids}
        requested = q.guids(key) if q is not None else None
        if not self.portfolio or not requested:
            return scope
        return scope & set(requested)

    def required_chains(self, q: Obj) -> set[str]:
        """`chains()` for reads whose `ChainIds` is "required when using Portfolio Access
        Tokens, ignored otherwise" (`customers/getAll`): a portfolio request without it is 400."""
        if self.portfolio and not q.guids("ChainIds"):
            raise bad_request("ChainIds is required when using a Portfolio Access Token.")
        return self.chains(q)

    def write_chain(self, q: Obj) -> str:
        """The chain a chain-scoped write acts on (`ChainId`, portfolio tokens only)."""
        if not self.portfolio:
            return self.chain_of(self.integration.enterprise_id)
        chain = q.guid("ChainId")
        if chain is None:
            raise bad_request("ChainId is required when using a Portfolio Access Token.")
        if chain not in self.chains():
            raise invalid("ChainId", f"chain {chain} is not accessible with this access token.")
        return chain

    def write_enterprise(self, q: Obj, key: str = "EnterpriseId") -> str:
        """The enterprise an enterprise-scoped operation acts on (`EnterpriseId`, portfolio)."""
        if not self.portfolio:
            return self.integration.enterprise_id
        enterprise = q.guid(key)
        if enterprise is None:
            raise bad_request(f"{key} is required when using a Portfolio Access Token.")
        if enterprise not in self.integration.enterprise_ids:
            raise invalid(key, f"enterprise {enterprise} is not accessible with this access token.")
        return enterprise

    def single_enterprise(self) -> str:
        """For operations that are not portfolio-capable and take no enterprise parameter."""
        if self.portfolio:
            raise bad_request(
                "This operation does not support Portfolio Access Tokens; "
                "use the access token of one enterprise."
            )
        return self.integration.enterprise_id
