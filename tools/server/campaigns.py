"""The `campaigns` toolset: campaigns with a measured holdout, and points-plus-cash upsell.

- `create_campaign`: the guarded write of `tools.actions.campaigns` (the segment staged as a
  snapshot; liability above the policy's `campaign_budget` → pending approval). Drafts only:
  nothing is sent.
- `get_campaign_report`: outcomes read now in batches (ledger and Mews), treated versus
  holdout, lift with a 95 % two-proportion interval, and a sample of the drafts.
- `list_campaigns`: the campaigns, newest first.
- `suggest_upsell` / `accept_upsell`: upgrades and experiences for a stay priced in cash, points
  and points plus cash (`tools.campaigns.suggestions`, a read: it writes nothing); accepting is
  a guarded redemption (`tools.actions.upsell`).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from tools.actions.campaigns import CREATE_CAMPAIGN
from tools.actions.models import MewsId
from tools.actions.upsell import ACCEPT_UPSELL, offered
from tools.campaigns import (
    CampaignDraft,
    CampaignReport,
    CampaignSummary,
    get_campaign,
    list_campaigns,
    measure_campaign,
)
from tools.campaigns.suggestions import UpsellSuggestions
from tools.server.tooling import ToolDef, ToolEnv, write_tool

__all__ = ["CAMPAIGN_TOOLS"]


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReportArgs(_Args):
    campaign_id: Annotated[str, StringConstraints(pattern=r"^cmp_[0-9a-f]{16}$")]
    drafts: Annotated[int, Field(ge=0, le=50, description="how many drafts to show")] = 3


class CampaignReportOut(CampaignReport):
    drafts: list[CampaignDraft] = Field(default_factory=list)


async def get_campaign_report(env: ToolEnv, args: ReportArgs) -> Any:
    async def run() -> CampaignReportOut:
        runtime = env.runtime
        report = await measure_campaign(
            runtime.store,
            runtime.mews,
            args.campaign_id,
            as_of=runtime.clock.now(),
            progress=env.progress,
        )
        with runtime.store.read() as conn:
            shown = get_campaign(conn, args.campaign_id, drafts=args.drafts).drafts
        return CampaignReportOut(**report.model_dump(), drafts=shown)

    return await env.runtime.guard.read(
        env.principal, "get_campaign_report", args.model_dump(mode="json"), run
    )


class ListCampaignsArgs(_Args):
    limit: Annotated[int, Field(ge=1, le=100)] = 20


class CampaignList(BaseModel):
    campaigns: list[CampaignSummary]


async def list_campaigns_tool(env: ToolEnv, args: ListCampaignsArgs) -> Any:
    async def run() -> CampaignList:
        with env.runtime.store.read() as conn:
            return CampaignList(campaigns=list_campaigns(conn, limit=args.limit))

    return await env.runtime.guard.read(
        env.principal, "list_campaigns", args.model_dump(mode="json"), run
    )


_READ: Any = {"toolset": "campaigns", "needs": ("read",)}


# ---------------------------------------------------------------------------- upsell
class UpsellArgs(_Args):
    reservation_id: MewsId


async def suggest_upsell(env: ToolEnv, args: UpsellArgs) -> Any:
    async def run() -> UpsellSuggestions:
        return await offered(env.runtime.writes, args.reservation_id)

    return await env.runtime.guard.read(
        env.principal, "suggest_upsell", args.model_dump(mode="json"), run
    )


UPSELL_TOOLS: tuple[ToolDef, ...] = (
    ToolDef(
        "suggest_upsell",
        "Suggest upsell",
        "Upgrades and experiences for a stay, in cash, points and points+cash, best fit first.",
        UpsellArgs,
        UpsellSuggestions,
        handler=suggest_upsell,
        open_world=True,
        **_READ,
    ),
    write_tool(ACCEPT_UPSELL, "campaigns"),
)

CAMPAIGN_TOOLS: tuple[ToolDef, ...] = (
    write_tool(CREATE_CAMPAIGN, "campaigns"),
    ToolDef(
        "get_campaign_report",
        "Campaign report",
        "Treated vs holdout outcomes of a campaign: lift, 95% interval, verdict, drafts.",
        ReportArgs,
        CampaignReportOut,
        handler=get_campaign_report,
        open_world=True,
        **_READ,
    ),
    ToolDef(
        "list_campaigns",
        "List campaigns",
        "Campaigns, newest first, with their groups and point liability.",
        ListCampaignsArgs,
        CampaignList,
        handler=list_campaigns_tool,
        **_READ,
    ),
    *UPSELL_TOOLS,
)
