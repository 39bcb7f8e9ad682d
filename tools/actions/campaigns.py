"""`create_campaign`: the guarded write that creates a campaign (kind `offer`: it drafts, it
sends nothing). Its facts carry the campaign's point liability (points per treated member times
the treated members of the staged segment snapshot), which the policy's `campaign_budget`
threshold turns into an approval request; an approved request creates the same campaign from
the same snapshot. The executor writes the campaign, the groups, the drafts and the
recommendation log in the guard's transaction (`tools.campaigns.records.insert_campaign`).
"""

from __future__ import annotations

from pydantic import ValidationError
from sqlalchemy.engine import Connection

from policies import ActionSpec, ExecContext, Facts, Transactional
from storage.canonical import JSONObject
from storage.store import Store
from tools.actions.errors import InvalidActionArgumentsError
from tools.campaigns.holdout import holdout_size
from tools.campaigns.model import CampaignArgs, CampaignSummary
from tools.campaigns.records import (
    campaign_id_for,
    insert_campaign,
    load_snapshot,
    points_per_member,
)
from tools.loyalty import ProgramConfig, ProgramFile
from tools.loyalty.errors import UnknownRewardError

__all__ = ["campaign_actions"]


def _parse(args: JSONObject) -> CampaignArgs:
    try:
        return CampaignArgs.model_validate(args)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in error["loc"]) or "arguments"
        raise InvalidActionArgumentsError(where, error["msg"]) from None


def campaign_actions(store: Store, programs: ProgramFile) -> tuple[ActionSpec, ...]:
    def program_of(code: str) -> ProgramConfig:
        return programs.program(code)

    def checked(parsed: CampaignArgs, program: ProgramConfig) -> int:
        try:
            return points_per_member(program, parsed)
        except UnknownRewardError:
            raise InvalidActionArgumentsError(
                "reward_id",
                f"{parsed.reward_id!r} is not in the rewards catalogue of {program.code}",
            ) from None

    async def describe(args: JSONObject) -> Facts:
        parsed = _parse(args)
        with store.read() as conn:
            snapshot = load_snapshot(conn, parsed.snapshot_id)
        program = program_of(snapshot.program_code)
        per_member = checked(parsed, program)
        members = len(snapshot.members)
        treated = members - holdout_size(members, parsed.holdout_share)
        offer = parsed.reward_id or f"{parsed.bonus_points} bonus points"
        return Facts(
            liability=per_member * treated,
            note=(
                f"campaign {parsed.name!r} ({parsed.goal}, {offer}) for {treated} members "
                f"and {members - treated} held out; drafts only, nothing is sent"
            ),
        )

    def create(conn: Connection, args: JSONObject, ctx: ExecContext) -> CampaignSummary:
        parsed = _parse(args)
        snapshot = load_snapshot(conn, parsed.snapshot_id)
        program = program_of(snapshot.program_code)
        checked(parsed, program)
        return insert_campaign(
            conn,
            parsed,
            program,
            campaign_id=campaign_id_for(ctx.idempotency_key),
            created_by=ctx.principal.name,
            approved_by=ctx.approved_by,
            now=ctx.now,
        )

    return (ActionSpec("create_campaign", "offer", Transactional(create), describe),)
