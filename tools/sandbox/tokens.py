"""Token pairs the sandbox accepts.

The eight published demo pairs (Connector API docs, "Environments"): four integrations on the
Gross-pricing UK enterprise and the same four integrations on the Net-pricing US enterprise.
A request must send a known `AccessToken` *and* the `ClientToken` of the same integration;
anything else is 401.

Sandbox-only: one portfolio pair (`PORTFOLIO`) whose access token covers both enterprises of the
chain, for multi-property tests, and the same integration's token for each hotel
(`PORTFOLIO_HOTELS`). They do not exist on the real demo environment.
"""

from __future__ import annotations

from dataclasses import dataclass

from tools.sandbox.ids import fixed_id
from tools.sandbox.world import ENTERPRISE_UK, ENTERPRISE_US

__all__ = [
    "ALL_TOKENS",
    "DEMO_TOKENS",
    "PORTFOLIO",
    "PORTFOLIO_HOTELS",
    "Integration",
    "find_integration",
]


@dataclass(frozen=True)
class Integration:
    """One connection: an integration (client token) to one enterprise, or a portfolio."""

    name: str
    client_token: str
    access_token: str
    enterprise_ids: tuple[str, ...]
    portfolio: bool = False

    @property
    def integration_id(self) -> str:
        return fixed_id(f"integration/{self.client_token}")

    @property
    def enterprise_id(self) -> str:
        """The single enterprise of a non-portfolio token."""
        return self.enterprise_ids[0]


_NAMES = (
    "Are you ready to integrate with Mews?",
    "Connector API Test Client 2",
    "Connector API Test Client 3",
    "Connector API Test Client 4",
)
_CLIENT_TOKENS = (
    "E0D439EE522F44368DC78E1BFB03710C-D24FB11DBE31D4621C4817E028D9E1D",
    "E916C341431C4D28A866AD200152DBD3-A046EB5583FFBE94DE1172237763712",
    "2CC71B0660F345019882AD200155B4FE-4A1FC9080A4DD2A404734003674F77E",
    "07AB1F14B55C49B8BDD6AD200158423B-273A4497AFF5E20566D7199DB3DC2BA",
)
_GROSS_ACCESS = (
    "C66EF7B239D24632943D115EDE9CB810-EA00F8FD8294692C940F6B5A8F9453D",
    "CC150C355D6A4048A220AD20015483AB-B6D09C0C84B09538077CB8FFBB907B4",
    "5F56B9903A834F199E28AD20015E58CA-5C6A1A00550634911534AD6A098E8B7",
    "39E301DD5A1C4A569087AD20015F60DD-50DC28896E9090CCA0995C9BBD90351",
)
_NET_ACCESS = (
    "4D6C7ABE0E6A4681B0AFB16900AE5D86-DF50CBC89E1D4FF5859DDF021649ED5",
    "1AEFA58C55E74D65BDC7AD2001564C12-66633E0B736F523379B9E5966165A55",
    "682C235379B64D909941AD2001577525-BFC60A026081F1350FAA99CAB9F7510",
    "BFD4298010F54B069F3DAD20015D53EA-D5561FADFBA4EFC8EA4C179C6BC461F",
)

DEMO_TOKENS: tuple[Integration, ...] = tuple(
    Integration(name, client, access, (enterprise,))
    for enterprise, accesses in ((ENTERPRISE_UK, _GROSS_ACCESS), (ENTERPRISE_US, _NET_ACCESS))
    for name, client, access in zip(_NAMES, _CLIENT_TOKENS, accesses, strict=True)
)
"""The published demo pairs: `DEMO_TOKENS[0]` is the pair every documented example uses."""

PORTFOLIO = Integration(
    name="Sandbox Portfolio Client",
    client_token="5A11DB0C5A11DB0C5A11DB0C5A11DB0C-5A11DB0C5A11DB0C5A11DB0C5A11DB0",
    access_token="B0C5A11DB0C5A11DB0C5A11DB0C5A11D-B0C5A11DB0C5A11DB0C5A11DB0C5A11",
    enterprise_ids=(ENTERPRISE_UK, ENTERPRISE_US),
    portfolio=True,
)
"""Sandbox-only Portfolio Access Token pair covering both enterprises of the demo chain."""

PORTFOLIO_HOTELS: tuple[Integration, ...] = (
    Integration(
        name="Sandbox Portfolio Client",
        client_token=PORTFOLIO.client_token,
        access_token="B0C5A11DB0C5A11DB0C5A11DB0C5A11D-0E1EB0C5A11DB0C5A11DB0C5A11DB0C",
        enterprise_ids=(ENTERPRISE_UK,),
    ),
    Integration(
        name="Sandbox Portfolio Client",
        client_token=PORTFOLIO.client_token,
        access_token="B0C5A11DB0C5A11DB0C5A11DB0C5A11D-0E2EB0C5A11DB0C5A11DB0C5A11DB0C",
        enterprise_ids=(ENTERPRISE_US,),
    ),
)
"""Sandbox-only: the portfolio integration's own single-enterprise token for each hotel (the
same `ClientToken`, as Mews issues them), for operations Mews refuses to portfolio tokens."""

ALL_TOKENS: tuple[Integration, ...] = (*DEMO_TOKENS, *PORTFOLIO_HOTELS, PORTFOLIO)
"""Every pair the sandbox accepts, the portfolio last."""

_BY_ACCESS = {integration.access_token: integration for integration in ALL_TOKENS}


def find_integration(client_token: str, access_token: str) -> Integration | None:
    """The integration for a token pair, or `None` when the pair is not known."""
    integration = _BY_ACCESS.get(access_token)
    if integration is None or integration.client_token != client_token:
        return None
    return integration
