"""The hotels (Mews enterprises) the desk serves, and the one each user has chosen.

    hotels = await read_properties(runtime.mews, fallback=runtime.policy.tz)
    hotel = hotels.chosen(request.cookies.get(PROPERTY_COOKIE))   # times in hotel.zone

A front desk reads times in its own hotel's zone and wants to know which hotel a stay is at.
With a portfolio token the hotels come from `enterprises/getAll`; with one hotel's token,
`configuration/get` names that hotel and no switcher is shown. The choice is a plain cookie:
it changes what a page shows (time zone, hotel labels), never what anyone may do, so it needs
no signature; an id that is not one of the hotels is ignored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tools.mews import MewsClient

__all__ = ["PROPERTY_COOKIE", "Properties", "Property", "read_properties"]

PROPERTY_COOKIE = "loyalty_property"
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Property:
    id: str
    name: str
    zone: ZoneInfo


@dataclass(frozen=True)
class Properties:
    hotels: tuple[Property, ...]
    default: Property | None
    """The hotel shown before a user chooses: the one in the policy's time zone, else the first."""
    fallback: ZoneInfo
    """The policy's zone: used when Mews named no hotel (it could not be read at start-up)."""

    def chosen(self, hotel_id: str | None) -> Property | None:
        return next((h for h in self.hotels if h.id == hotel_id), self.default)

    def name_of(self, enterprise_id: str) -> str | None:
        """The hotel's name, when there is more than one to tell apart."""
        if len(self.hotels) < 2:
            return None
        return next((h.name for h in self.hotels if h.id == enterprise_id), None)


def _zone(identifier: str | None, fallback: ZoneInfo) -> ZoneInfo:
    try:
        return ZoneInfo(identifier) if identifier else fallback
    except (ZoneInfoNotFoundError, ValueError):
        return fallback


async def read_properties(mews: MewsClient, fallback: ZoneInfo) -> Properties:
    """The hotels the token reaches, by name; none (times in `fallback`) if Mews cannot say."""
    try:
        config = await mews.configuration.get()
        enterprises = (
            await mews.enterprises.get_all().to_list()
            if config.enterprise.is_portfolio
            else [config.enterprise]
        )
    except Exception as exc:  # the desk still works; it shows times in the policy's zone
        _log.warning("the hotels could not be read from Mews (%s); times are in %s", exc, fallback)
        return Properties((), None, fallback)
    hotels = tuple(
        sorted(
            (
                Property(e.id, e.name, _zone(e.time_zone_identifier, fallback))
                for e in enterprises
                if not e.is_portfolio
            ),
            key=lambda h: h.name.casefold(),
        )
    )
    same_zone = [h for h in hotels if h.zone.key == fallback.key]
    default = next(iter(same_zone or hotels), None)
    return Properties(hotels, default, fallback)
