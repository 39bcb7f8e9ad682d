"""Campaigns with measured outcomes: a segment, an offer, a randomised holdout, and a report.

- `model`: the campaign's arguments and summaries; `holdout`: seeded assignment;
- `copy`: per-member copy through the offer guardrail (`tools.loyalty.offer_copy`);
- `tables`: the store component `CAMPAIGNS` (snapshots, campaigns, members, drafts, the
  recommendation log); `records`: reading and writing them;
- `outcomes`: redemptions, stays and points read in batches, and the treated-vs-holdout report;
- `stats`: the two-proportion lift and interval, with a verdict in plain words.

- `suggestions`: upsell suggestions for a stay (a read; accepting one is a guarded write).

The guarded writes (`create_campaign`, `accept_upsell`) are in `tools.actions`; the MCP tools
in `tools.server.campaigns`.
"""

from tools.campaigns.holdout import assign_holdout, holdout_size
from tools.campaigns.model import (
    CHANNELS,
    GOALS,
    SEGMENT_KINDS,
    CampaignArgs,
    CampaignDraft,
    CampaignGoal,
    CampaignSummary,
)
from tools.campaigns.outcomes import CampaignReport, GroupOutcome, measure_campaign
from tools.campaigns.records import (
    SegmentMemberRef,
    Snapshot,
    UnknownCampaignError,
    UnknownSnapshotError,
    get_campaign,
    insert_campaign,
    list_campaigns,
    load_snapshot,
    points_per_member,
    save_snapshot,
    stage_snapshot,
)
from tools.campaigns.stats import Comparison, Group, compare
from tools.campaigns.tables import CAMPAIGNS

__all__ = [
    "CAMPAIGNS",
    "CHANNELS",
    "GOALS",
    "SEGMENT_KINDS",
    "CampaignArgs",
    "CampaignDraft",
    "CampaignGoal",
    "CampaignReport",
    "CampaignSummary",
    "Comparison",
    "Group",
    "GroupOutcome",
    "SegmentMemberRef",
    "Snapshot",
    "UnknownCampaignError",
    "UnknownSnapshotError",
    "assign_holdout",
    "compare",
    "get_campaign",
    "holdout_size",
    "insert_campaign",
    "list_campaigns",
    "load_snapshot",
    "measure_campaign",
    "points_per_member",
    "save_snapshot",
    "stage_snapshot",
]
