"""The policy file: modes, roles, principals, caps, approval thresholds, breaker, audit key.

A TOML file validated with pydantic (`extra="forbid"`: a misspelt key is an error, never a
silently ignored rule). It is read from `LOYALTY_POLICY_FILE`, else the shipped
`policies/default_policy.toml`. Errors name the key path and the problem, one line each::

    caps.max_points_per_entry: must be a positive integer, got -5

Permissions, and the action kinds that need them (see `policies.decision`):

    read                  read loyalty data
    write                 points movements, offers and other loyalty writes
    delete                deletes (and they always pass the approval thresholds)
    administer_programs   program and tier administration
    approve               decide approval requests (never one's own)
    change_mode           switch the operating mode
    reset_breaker         reset a tripped circuit breaker
"""

from __future__ import annotations

import os
import re
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from policies.errors import PolicyFileError

__all__ = [
    "DEFAULT_POLICY_PATH",
    "MODES",
    "PERMISSIONS",
    "ApprovalsConfig",
    "AuditConfig",
    "BreakerConfig",
    "CapsConfig",
    "CapsOverride",
    "DelegationConfig",
    "IdentityConfig",
    "Mode",
    "Permission",
    "Policy",
    "RoleConfig",
    "ThresholdOverride",
    "load_policy",
    "parse_policy",
    "policy_path",
    "render_toml",
]

DEFAULT_POLICY_PATH = Path(__file__).with_name("default_policy.toml")

Mode = Literal["read_only", "recommend", "automate"]
MODES: tuple[Mode, ...] = ("read_only", "recommend", "automate")

Permission = Literal[
    "read", "write", "delete", "administer_programs", "approve", "change_mode", "reset_breaker"
]
PERMISSIONS: tuple[Permission, ...] = (
    "read",
    "write",
    "delete",
    "administer_programs",
    "approve",
    "change_mode",
    "reset_breaker",
)

RESERVED_PRINCIPALS = frozenset({"system"})  # the audit's name for the layer itself
_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$"
Fraction = Annotated[float, Field(gt=0, le=10)]
_FRACTIONS = frozenset({"variance_above", "spike_multiple"})


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RoleConfig(_Section):
    description: str = ""
    permissions: tuple[Permission, ...]
    # Agent-kind roles (the assistant, automations): `recommend` mode turns their writes into
    # approval requests, the circuit breaker stops them, and their writes are noted in Mews.
    automated: bool = False


class CapsOverride(_Section):
    """Per-action caps; a field left out keeps the global value."""

    max_points_per_entry: PositiveInt | None = None
    per_member_per_day: PositiveInt | None = None
    per_principal_per_day: PositiveInt | None = None
    program_goodwill_per_day: PositiveInt | None = None
    deductions_per_member_per_day: PositiveInt | None = None


class CapsConfig(_Section):
    """Hard caps: a request above one is denied, never queued for approval."""

    max_points_per_entry: PositiveInt
    per_member_per_day: PositiveInt
    per_principal_per_day: PositiveInt
    program_goodwill_per_day: PositiveInt
    # points taken from one member in a day (negative adjustments and reversals; not the
    # member's own redemptions), so that a balance cannot be drained in small steps
    deductions_per_member_per_day: PositiveInt = 5000
    actions: dict[str, CapsOverride] = Field(default_factory=dict)

    def for_action(self, name: str) -> CapsConfig:
        """The caps that apply to one action: the global ones with its overrides laid over."""
        override = self.actions.get(name)
        if override is None:
            return self
        return self.model_copy(update=override.model_dump(exclude_none=True))


class DelegationConfig(_Section):
    """How the model of the built-in chat acts: as `agent` on behalf of the signed-in person.

    The delegated principal ("assistant for carol") has the permissions both roles have, counts
    as automated (modes, breaker, notes in Mews), and its points movements are held to `caps`
    laid over the global caps (a field left out keeps the global value).
    """

    agent: Annotated[str, Field(pattern=_NAME)] = "assistant"
    caps: CapsOverride = CapsOverride(
        max_points_per_entry=2000, per_member_per_day=2000, per_principal_per_day=10_000
    )
    # MCP clients other than the built-in chat (the principal of their token) that may declare
    # they act for a person (request `_meta` "loyalty/on_behalf_of"), and for whom: they then
    # run as "<client> for <person>", with the rights of the agent, the client and the person.
    clients: dict[
        Annotated[str, Field(pattern=_NAME)], list[Annotated[str, Field(pattern=_NAME)]]
    ] = Field(default_factory=dict)


class IdentityConfig(_Section):
    """Who the command line is, when no `LOYALTY_TOKEN` says so: OS user name -> principal."""

    os_users: dict[Annotated[str, Field(min_length=1, max_length=64)], str] = Field(
        default_factory=dict
    )


class ThresholdOverride(_Section):
    """Per-action approval thresholds; a field left out keeps the global value."""

    always: bool = False
    points_above: PositiveInt | None = None
    principal_points_above: PositiveInt | None = None
    deductions_above: PositiveInt | None = None
    variance_above: Fraction | None = None
    tier_downgrade: bool | None = None
    deletes: bool | None = None
    campaign_budget: PositiveInt | None = None


class ApprovalsConfig(_Section):
    # the day's running total of points issued to one member, this movement included
    points_above: PositiveInt
    # the day's running total of points one principal issued (to all members), this included
    principal_points_above: PositiveInt = 10_000
    # the day's running total of points taken from one member (not their own redemptions)
    deductions_above: PositiveInt = 1000
    variance_above: Fraction = 0.20  # 0.20 = a price or valuation more than 20 % from base
    tier_downgrade: bool = True
    # a tier change up by more than this many steps (Bronze to Gold is 2); 0: every upgrade
    tier_jump_steps: Annotated[int, Field(ge=0)] = 1
    deletes: bool = True
    # a campaign whose total point liability (all treated members taking it up) is above this
    campaign_budget: PositiveInt = 50_000
    expiry_hours: PositiveInt = 72
    # an approved Mews call still `executing` after this long was interrupted (a crash): it is
    # resolved by reading Mews. Far above a call's worst case (30 s timeouts, a few retries).
    execution_lease_minutes: PositiveInt = 10
    actions: dict[str, ThresholdOverride] = Field(default_factory=dict)

    @property
    def expiry(self) -> timedelta:
        return timedelta(hours=self.expiry_hours)

    @property
    def execution_lease(self) -> timedelta:
        return timedelta(minutes=self.execution_lease_minutes)


class BreakerConfig(_Section):
    denials_per_hour: PositiveInt = 10
    spike_multiple: Fraction = 3.0
    trailing_days: PositiveInt = 14
    # A quiet start (no history) must not trip the breaker on the first busy day.
    min_daily_baseline: PositiveInt = 20_000


class AuditConfig(_Section):
    key_env: Annotated[str, Field(pattern=r"^[A-Z_][A-Z0-9_]*$")] = "LOYALTY_AUDIT_KEY"
    key_file: str = ""  # default: LOYALTY_AUDIT_KEY_FILE, else audit.key in the config dir
    require_key: bool = False  # true: never create a key file; the key must already exist


class Policy(_Section):
    version: Literal[1]
    timezone: str
    mode: Mode
    roles: dict[Annotated[str, Field(pattern=_NAME)], RoleConfig]
    principals: dict[Annotated[str, Field(pattern=_NAME)], str]
    caps: CapsConfig
    approvals: ApprovalsConfig
    breaker: BreakerConfig = BreakerConfig()
    audit: AuditConfig = AuditConfig()
    delegation: DelegationConfig = DelegationConfig()
    identity: IdentityConfig = IdentityConfig()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r} (e.g. 'Europe/Prague')") from None
        return value

    @model_validator(mode="after")
    def _principals_have_roles(self) -> Policy:
        for name, role in self.principals.items():
            if name in RESERVED_PRINCIPALS:
                raise ValueError(f"principals.{name}: the name {name!r} is reserved")
            if role not in self.roles:
                defined = ", ".join(sorted(self.roles))
                raise ValueError(f"principals.{name}: role {role!r} is not one of [{defined}]")
        for user, name in self.identity.os_users.items():
            if name not in self.principals:
                raise ValueError(f"identity.os_users.{user}: {name!r} is not under [principals]")
        agent = self.delegation.agent
        if "delegation" in self.model_fields_set and agent not in self.principals:
            raise ValueError(f"delegation.agent: {agent!r} is not a principal of [principals]")
        for client, persons in self.delegation.clients.items():
            for name in (client, *persons):
                if name not in self.principals:
                    raise ValueError(
                        f"delegation.clients.{client}: {name!r} is not under [principals]"
                    )
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)  # zoneinfo caches instances

    def to_dict(self) -> dict[str, Any]:
        """The effective policy as JSON (for `loyalty policy show --json` and MCP resources)."""
        return self.model_dump(mode="json", exclude_none=True)  # unset overrides stay out


def policy_path(explicit: Path | None = None) -> Path:
    """The file in effect: the one given, else `LOYALTY_POLICY_FILE`, else the shipped default."""
    if explicit is not None:
        return explicit
    env = os.environ.get("LOYALTY_POLICY_FILE", "").strip()
    return Path(env).expanduser() if env else DEFAULT_POLICY_PATH


def load_policy(path: Path | None = None) -> Policy:
    """Read and validate the policy file; `PolicyFileError` lists every problem."""
    source = policy_path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyFileError(
            str(source), [f"cannot read the file: {exc.strerror or exc}"]
        ) from None
    return parse_policy(text, source=str(source))


def parse_policy(text: str, *, source: str = "<policy>") -> Policy:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyFileError(source, [f"not valid TOML: {exc}"]) from None
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyFileError(source, [_problem(e) for e in exc.errors()]) from None


def _problem(error: ErrorDetails) -> str:
    path = ".".join(str(part) for part in error["loc"])
    kind = error["type"]
    got = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return f"{path}: required key is missing"
    if kind == "extra_forbidden":
        return f"{path}: unknown key"
    if kind == "greater_than" and ctx.get("gt") == 0:
        what = "number" if error["loc"][-1] in _FRACTIONS else "integer"
        return f"{path}: must be a positive {what}, got {got!r}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"{path}: must be an integer, got {got!r}"
    if kind == "value_error":
        message = str(ctx.get("error", error["msg"]))
        # model-level checks put their own key path first
        return message if not path else f"{path}: {message}"
    message = error["msg"]
    return f"{path}: {message[0].lower()}{message[1:]}, got {got!r}"


# ---------------------------------------------------------------------------- rendering


def render_toml(data: dict[str, Any]) -> str:
    """The policy as TOML again (`loyalty policy show`): scalars first, then tables."""
    lines: list[str] = []
    _render_table(data, [], lines)
    return "\n".join(lines).strip() + "\n"


def _render_table(data: dict[str, Any], prefix: list[str], lines: list[str]) -> None:
    scalars = {k: v for k, v in data.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in data.items() if isinstance(v, dict)}
    if prefix and (scalars or not tables):
        lines.append("")
        lines.append(f"[{'.'.join(_key(p) for p in prefix)}]")
    for key, value in scalars.items():
        if value is not None:  # TOML has no null: an unset optional is simply left out
            lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in tables.items():
        _render_table(value, [*prefix, key], lines)


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _value(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'
