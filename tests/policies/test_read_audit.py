"""Read audit records join the chain in batches: none is lost, the chain stays verifiable."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest
from mcp import Client

from policies import audit
from policies.audit import AuditDraft
from policies.read_audit import ReadAudits
from tests.policies.support import T0
from tools.runtime import LoyaltyRuntime
from tools.sandbox import Sandbox
from tools.server import create_server

pytestmark = pytest.mark.anyio


class Chain:
    def __init__(self) -> None:
        self.appends: list[list[str]] = []
        self.broken = False

    def __call__(self, drafts: Sequence[AuditDraft]) -> None:
        if self.broken:
            raise RuntimeError("database is locked")
        self.appends.append([d.action for d in drafts])


def read(action: str) -> AuditDraft:
    return AuditDraft(T0, "carol", "staff", action, {}, "allow")


async def test_reads_are_appended_together_once_a_batch_is_full() -> None:
    chain = Chain()
    audits = ReadAudits(chain, batch=3, delay=60)
    await audits.add(read("a"))
    await audits.add(read("b"))
    assert chain.appends == []
    await audits.add(read("c"))
    assert chain.appends == [["a", "b", "c"]]
    audits.close()


async def test_a_lone_read_is_appended_by_the_timer_or_on_close() -> None:
    chain = Chain()
    audits = ReadAudits(chain, batch=10, delay=5)
    await audits.add(read("a"))
    timer = audits._timer
    assert timer is not None
    assert timer.when() == pytest.approx(asyncio.get_running_loop().time() + 5, abs=1)
    audits.close()
    assert chain.appends == [["a"]]
    assert audits._timer is None


async def test_an_append_that_fails_keeps_the_records_for_the_next_one() -> None:
    chain = Chain()
    audits = ReadAudits(chain, batch=2, delay=60)
    await audits.add(read("a"))
    chain.broken = True
    with pytest.raises(RuntimeError):
        await audits.add(read("b"))
    chain.broken = False
    await audits.add(read("c"))
    await audits.add(read("d"))
    assert chain.appends == [["a", "b", "c"]]
    audits.close()
    assert chain.appends == [["a", "b", "c"], ["d"]]


async def test_a_batch_of_one_appends_every_read_at_once() -> None:
    chain = Chain()
    audits = ReadAudits(chain)
    await audits.add(read("a"))
    assert chain.appends == [["a"]]


async def test_a_servers_batched_read_records_are_in_the_verified_chain_after_it_closes(
    tmp_path: Path,
) -> None:
    runtime = await LoyaltyRuntime.open(
        database_url=f"sqlite:///{tmp_path / 'r.db'}",
        sandbox=Sandbox.seeded(),
        read_audit_batch=3,
    )
    async with runtime:
        # only the batch size may append here: a loaded machine can take longer than the 1 s delay
        runtime.guard.read_audits.delay = 3600
        server = create_server(runtime, principal="carol", toolsets=("member",))
        async with Client(server) as client:
            for _ in range(4):
                result = await client.call_tool("list_rewards", {"program_code": "PC01"})
                assert not result.is_error
        assert [r.action for r in audit.records(runtime.store)] == ["list_rewards"] * 3
    assert [r.action for r in audit.records(runtime.store)] == ["list_rewards"] * 4
    assert audit.verify(runtime.store, runtime.guard.audit_key).ok
