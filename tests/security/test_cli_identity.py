"""The command line acts as a principal it can prove: a token (`LOYALTY_TOKEN`, the tokens of
MCP over HTTP) or an OS-user mapping; `--as` someone else needs their credential."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import pytest

from app.commands import serve
from policies.config import DEFAULT_POLICY_PATH
from tests.security.support import loyalty
from tools.sandbox import STORY

CAROL_TOKEN = "carol-token-0123456789abcdef"
BOB_TOKEN = "bob-token-0123456789abcdef"
TOKENS = f"{CAROL_TOKEN}=carol,{BOB_TOKEN}=bob"
AWARD = {"membership_id": STORY.emma_novak_membership, "points": 3000, "reason": "spa closure"}


@pytest.fixture
def carols_shell(world: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOYALTY_MCP_TOKENS", TOKENS)
    monkeypatch.setenv("LOYALTY_TOKEN", CAROL_TOKEN)


def test_a_forged_as_cannot_approve_ones_own_request_from_the_same_shell(
    carols_shell: None,
) -> None:
    requested = loyalty("call", "award_points", json.dumps(AWARD))
    approval_id = json.loads(requested.stdout)["approval_id"]

    forged = loyalty("approvals", "approve", approval_id, "--as", "bob")
    bobs = loyalty(
        "approvals", "approve", approval_id, "--as", "bob", env={"LOYALTY_TOKEN": BOB_TOKEN}
    )

    assert json.loads(requested.stdout)["status"] == "pending_approval"
    assert forged.exit_code == 2
    assert "LOYALTY_TOKEN says you are carol; acting as bob needs bob's own credential" in (
        forged.stderr
    )
    assert bobs.exit_code == 0, bobs.output
    assert f"approved {approval_id}: executed" in bobs.stdout


def test_a_token_that_is_not_listed_is_refused(carols_shell: None) -> None:
    result = loyalty("mode", "set", "automate", "--as", "alice", env={"LOYALTY_TOKEN": "x" * 20})

    assert result.exit_code == 2
    assert "LOYALTY_TOKEN is not one of the tokens of LOYALTY_MCP_TOKENS" in result.stderr


def test_an_os_user_mapping_proves_who_the_shell_is(world: Path) -> None:
    policy = world / "policy.toml"
    mapping = f'\n[identity.os_users]\n"{getpass.getuser()}" = "alice"\n'
    policy.write_text(DEFAULT_POLICY_PATH.read_text(encoding="utf-8") + mapping, encoding="utf-8")
    env = {"LOYALTY_POLICY_FILE": str(policy)}

    as_alice = loyalty("mode", "set", "automate", "--as", "alice", env=env)
    as_bob = loyalty("mode", "set", "read_only", "--as", "bob", env=env)

    assert as_alice.exit_code == 0, as_alice.output
    assert as_bob.exit_code == 2
    assert "([identity] os_users) says you are alice" in as_bob.stderr


REAL_MEWS = {
    "MEWS_BASE_URL": "https://api.mews-demo.com",
    "MEWS_CLIENT_TOKEN": "c",
    "MEWS_ACCESS_TOKEN": "a",
}


def test_against_real_mews_a_bare_as_is_refused(world: Path) -> None:
    result = loyalty("mode", "set", "automate", "--as", "alice", env=REAL_MEWS)

    assert result.exit_code == 2
    assert "acts only as a principal it can prove: set LOYALTY_TOKEN" in result.stderr


def test_on_the_embedded_sandbox_the_demo_principals_stay_easy(world: Path) -> None:
    assert loyalty("mode", "set", "automate", "--as", "alice").exit_code == 0


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """Whom `loyalty serve` went on to serve as (Mews and the protocol left out)."""
    started: list[str | None] = []

    async def record(transport: str, host: str, port: int, as_: str | None, *_: object) -> None:
        started.append(as_)

    monkeypatch.setattr(serve, "_serve", record)
    return started


@pytest.mark.parametrize(
    "args",
    [
        ("serve", "--as", "alice"),
        ("serve", "--role", "admin"),
        ("serve", "--transport", "http", "--no-auth", "--as", "alice"),
    ],
)
def test_against_real_mews_serve_as_a_manager_needs_their_credential(
    world: Path, served: list[str | None], args: tuple[str, ...]
) -> None:
    result = loyalty(*args, env=REAL_MEWS)

    assert result.exit_code == 2
    assert "acts only as a principal it can prove: set LOYALTY_TOKEN" in result.stderr
    assert served == []


def test_serve_as_someone_else_than_the_token_says_is_refused(
    carols_shell: None, served: list[str | None]
) -> None:
    result = loyalty("serve", "--as", "alice", env=REAL_MEWS)

    assert result.exit_code == 2
    assert "LOYALTY_TOKEN says you are carol; acting as alice needs alice's own credential" in (
        result.stderr
    )
    assert served == []


def test_serve_as_the_principal_the_token_proves_starts(
    world: Path, served: list[str | None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOYALTY_MCP_TOKENS", f"{TOKENS},alice-token-0123456789abcdef=alice")
    env = {**REAL_MEWS, "LOYALTY_TOKEN": "alice-token-0123456789abcdef"}

    result = loyalty("serve", "--as", "alice", env=env)

    assert result.exit_code == 0, result.output
    assert served == ["alice"]


ASSISTANT_TOKEN = "assistant-token-0123456789abcdef"


def test_plain_serve_follows_the_one_identity_rule(
    world: Path, served: list[str | None], monkeypatch: pytest.MonkeyPatch
) -> None:
    on_the_sandbox = loyalty("serve")  # the README's first line: no token needed
    named_on_the_sandbox = loyalty("serve", "--as", "alice")
    unproven = loyalty("serve", env=REAL_MEWS)
    monkeypatch.setenv("LOYALTY_MCP_TOKENS", f"{TOKENS},{ASSISTANT_TOKEN}=assistant")
    assistants = {**REAL_MEWS, "LOYALTY_TOKEN": ASSISTANT_TOKEN}
    as_assistant = loyalty("serve", env=assistants)
    named_assistant = loyalty("serve", "--as", "assistant", env=assistants)
    carols = loyalty("serve", env={**REAL_MEWS, "LOYALTY_TOKEN": CAROL_TOKEN})

    for result in (on_the_sandbox, named_on_the_sandbox, as_assistant, named_assistant, carols):
        assert result.exit_code == 0, result.output
    assert unproven.exit_code == 2
    assert "acts only as a principal it can prove: set LOYALTY_TOKEN" in unproven.stderr
    assert served == [None, "alice", "assistant", "assistant", "carol"]
