"""Property: whatever crashes and failures happen between posting and pushing, draining the
outbox afterwards leaves Mews showing exactly the ledger balance of every membership."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from policies import Guard, load_policy, open_store
from storage.clock import FixedClock
from storage.outbox import claim, complete
from storage.store import Store
from tests.loyalty_mews.conftest import Sleeps, client_for
from tools.loyalty import LEDGER, ensure_account, ledger_lock_key, load_program_file, post_entry
from tools.loyalty.ledger_model import Source
from tools.loyalty.ledger_reads import balances
from tools.loyalty.sync import OutboxDispatcher
from tools.mews import MewsClient, MewsError
from tools.mews.models import LoyaltyMembershipUpdateParameters, UpdateValue
from tools.sandbox import STORY, Sandbox

PROGRAMS = load_program_file()
PC01 = PROGRAMS.program("PC01")
MEMBERS = {
    STORY.emma_novak_membership: (STORY.emma_novak, 6240),
    STORY.business_traveller_membership: (STORY.business_traveller, 41200),
    STORY.zero_points_membership: (STORY.zero_points, 0),
}
UPDATE = "loyaltyMemberships/update"

Award = st.tuples(st.just("award"), st.sampled_from(sorted(MEMBERS)), st.integers(-300, 900))
Step = st.one_of(
    Award,
    st.tuples(st.just("drain"), st.integers(1, 3)),
    st.tuples(st.just("crash_before_push")),
    st.tuples(st.just("crash_after_push")),
    st.tuples(st.just("mews_fails")),
    st.tuples(st.just("time_passes"), st.integers(1, 600)),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(steps=st.lists(Step, max_size=14))
@example(  # a lapsed lease that then failed: two pending commands of one membership
    steps=[
        ("drain", 1),
        ("crash_before_push",),
        ("award", STORY.business_traveller_membership, 1),
        ("mews_fails",),
        ("time_passes", 121),
        ("drain", 1),
        ("award", STORY.business_traveller_membership, 1),
    ]
)
def test_draining_after_any_crashes_converges_mews_to_the_ledger(
    steps: list[tuple[object, ...]],
) -> None:
    asyncio.run(_scenario(steps))


async def _scenario(steps: list[tuple[object, ...]]) -> None:
    sandbox = Sandbox.seeded(seed=1, customers=20)
    sandbox.rate_limiter.enabled = False
    store = open_store("sqlite://")
    store.migrate([LEDGER])
    clock = FixedClock(datetime(2026, 6, 1, 12, tzinfo=UTC))
    try:
        _open_accounts(store, clock)
        async with client_for(sandbox, Sleeps()) as mews:
            guard = Guard(store, load_policy(), clock=clock, audit_key=None)
            dispatcher = OutboxDispatcher(mews, store, clock=clock, guard=guard, programs=PROGRAMS)
            for number, step in enumerate(steps):
                await _apply(step, number, store, clock, mews, dispatcher, sandbox)
            sandbox.faults.clear()
            for _ in range(3):  # leases run out, backoffs pass: everything is due again
                clock.advance(timedelta(hours=2))
                await dispatcher.drain()
            shown = {
                m.id: m.points or 0
                async for m in mews.loyalty_memberships.get_all(
                    loyalty_membership_ids=sorted(MEMBERS)
                )
            }
        with store.read() as conn:
            ledger = {m: b.total for m, b in balances(conn, MEMBERS, now=clock.now()).items()}
        assert shown == ledger
    finally:
        store.dispose()


def _open_accounts(store: Store, clock: FixedClock) -> None:
    for membership_id, (customer_id, points) in MEMBERS.items():
        with store.write(ledger_lock_key(membership_id)) as conn:
            ensure_account(
                conn,
                membership_id=membership_id,
                chain_id=STORY.chain_id,
                program_id=STORY.program_pc01,
                program=PC01,
                customer_id=customer_id,
                mews_points=points,
                now=clock.now(),
            )


async def _apply(
    step: tuple[object, ...],
    number: int,
    store: Store,
    clock: FixedClock,
    mews: MewsClient,
    dispatcher: OutboxDispatcher,
    sandbox: Sandbox,
) -> None:
    kind = step[0]
    if kind == "award":
        membership_id, points = str(step[1]), int(str(step[2]))
        if points == 0:
            return
        with store.write(ledger_lock_key(membership_id)) as conn:
            post_entry(
                conn,
                membership_id=membership_id,
                kind="accrual" if points > 0 else "adjustment",
                points=points,
                reason="property test",
                actor="carol",
                source=Source("manual", f"step-{number}"),
                idempotency_key=f"step-{number}",
                program=PC01,
                now=clock.now(),
                allow_negative=True,
            )
    elif kind == "drain":
        await dispatcher.drain(int(str(step[1])))
    elif kind in ("crash_before_push", "crash_after_push"):
        claimed = claim(store, now=clock.now(), limit=2, kinds=[UPDATE])
        if kind == "crash_after_push" and claimed:
            # The payload may be stale by now: a dead dispatcher pushed what it had.
            try:
                await mews.loyalty_memberships.update(
                    [
                        LoyaltyMembershipUpdateParameters(
                            loyalty_membership_id=c.payload["LoyaltyMembershipId"],
                            points=UpdateValue[int](value=c.payload["Points"]),
                        )
                        for c in claimed
                    ],
                    chain_id=STORY.chain_id,
                )
            except MewsError:
                return  # the push failed, then the dispatcher died: nothing was recorded
            if number % 2:  # sometimes the first of them was recorded before the crash
                complete(store, claimed[0].id, now=clock.now())
    elif kind == "mews_fails":
        sandbox.faults.fail_next(500, 4, path=f"/api/connector/v1/{UPDATE}")
    elif kind == "time_passes":
        clock.advance(timedelta(seconds=int(str(step[1]))))
