"""Fuzz every tool's input schema: never an internal error, a validation error names its
fields, and nothing is ever written (no ledger entry, approval, offer, outbox command or Mews
change)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client
from mcp.server import Server

from policies.schema import approvals_table
from storage.outbox import outbox_table
from tools.actions.tables import offers_table
from tools.loyalty.ledger_schema import entries_table
from tools.runtime import LoyaltyRuntime
from tools.sandbox import Sandbox
from tools.server import ALL_TOOLS, create_server
from tools.server.tooling import error_body

_LEAF = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**12), max_value=10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
_JSON = st.recursive(
    _LEAF,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=8,
)


class _Fuzzed:
    def __init__(self, runtime: LoyaltyRuntime, sandbox: Sandbox) -> None:
        self.runtime = runtime
        self.sandbox = sandbox
        self.server: Server[Any] = create_server(
            runtime, principal="dave", toolsets=("member", "admin", "approvals")
        )

    def writes(self) -> tuple[int, ...]:
        with self.runtime.store.read() as conn:
            counts = tuple(
                int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
                for table in (entries_table, approvals_table, offers_table, outbox_table)
            )
        return (*counts, len(self.sandbox.events))


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Fuzzed]:
    sandbox = Sandbox.seeded()
    path = Path(tmp_path_factory.mktemp("fuzz")) / "db.sqlite"

    async def open_runtime() -> LoyaltyRuntime:
        return await LoyaltyRuntime.open(database_url=f"sqlite:///{path}", sandbox=sandbox)

    runtime = anyio.run(open_runtime)
    try:
        yield _Fuzzed(runtime, sandbox)
    finally:
        anyio.run(runtime.aclose)


async def _call(server: Server[Any], name: str, arguments: dict[str, Any]) -> Any:
    async with Client(server) as client:
        return await client.call_tool(name, arguments)


@pytest.mark.parametrize("tool", ALL_TOOLS, ids=lambda tool: tool.name)
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_input_is_answered_without_an_internal_error_or_a_write(
    fuzzed: _Fuzzed, tool: Any, data: st.DataObject
) -> None:
    properties = sorted(tool.args.model_json_schema().get("properties", {}))
    arguments = data.draw(
        st.dictionaries(st.sampled_from([*properties, "unexpected"]), _JSON, max_size=4),
        label="arguments",
    )
    before = fuzzed.writes()

    result = anyio.run(_call, fuzzed.server, tool.name, arguments)

    body = error_body(result) if result.is_error else result.structured_content
    assert isinstance(body, dict)
    if result.is_error:
        assert "internal error" not in str(body.get("message")), body
        if body["status"] == "invalid_arguments":
            for error in body["errors"]:
                root = error["field"].split(".")[0]
                assert root in {*properties, "unexpected", "(arguments)"}, error
                assert root in body["message"] or error["field"] == "(arguments)"
    else:
        assert tool.read_only, f"{tool.name} accepted fuzzed arguments {arguments!r}"
    assert fuzzed.writes() == before
