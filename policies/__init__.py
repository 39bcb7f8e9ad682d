"""The policy layer: no loyalty write happens that the chain's policy does not allow.

    from policies import ActionSpec, Facts, Guard, Transactional, load_policy, open_store

    policy = load_policy()                      # LOYALTY_POLICY_FILE or the shipped default
    guard = Guard(open_store(), policy, [ActionSpec("award_points", "points", ...)])
    outcome = await guard.submit(guard.principal("assistant"), "award_points", args)

Modules: `config` (the policy file), `decision` (pure `decide`), `guard` (the only write path:
decide and record), beside it `approval_desk` (deciding approvals) and `controls` (mode, breaker),
`approvals` (the queue), `audit` (hash chain),
`usage`/`breaker`/`idempotency`/`state` (what decisions read), `redaction`, `schema` (tables).
The store, outbox, clock and canonical JSON live in `storage`, shared with the loyalty engine.

Names are imported on first use, so that reading the policy file (`policies.config`) does not
load the store, the audit chain or SQLAlchemy (`loyalty serve` lists its tools without them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from storage.exports import lazy_exports

if TYPE_CHECKING:
    from policies.approval_desk import ApprovalDesk
    from policies.audit import AuditRecord, ChainReport, export, records, verify
    from policies.config import MODES, Mode, Permission, Policy, load_policy, parse_policy
    from policies.controls import Controls
    from policies.decision import ActionKind, Facts
    from policies.errors import (
        ApprovalNotFoundError,
        DelegationRefusedError,
        PolicyConfigError,
        PolicyError,
        PolicyFileError,
        PolicyRequestError,
        UnknownPrincipalError,
    )
    from policies.guard import Guard
    from policies.outcomes import Denied, Outcome, PendingApproval, Posted, Proposed
    from policies.principals import (
        Principal,
        declared_delegate,
        delegate,
        principal_for_role,
        resolve_principal,
    )
    from policies.schema import open_store
    from policies.specs import ActionSpec, Describe, ExecContext, External, Transactional

__all__ = [
    "MODES",
    "ActionKind",
    "ActionSpec",
    "ApprovalDesk",
    "ApprovalNotFoundError",
    "AuditRecord",
    "ChainReport",
    "Controls",
    "DelegationRefusedError",
    "Denied",
    "Describe",
    "ExecContext",
    "External",
    "Facts",
    "Guard",
    "Mode",
    "Outcome",
    "PendingApproval",
    "Permission",
    "Policy",
    "PolicyConfigError",
    "PolicyError",
    "PolicyFileError",
    "PolicyRequestError",
    "Posted",
    "Principal",
    "Proposed",
    "Transactional",
    "UnknownPrincipalError",
    "declared_delegate",
    "delegate",
    "export",
    "load_policy",
    "open_store",
    "parse_policy",
    "principal_for_role",
    "records",
    "resolve_principal",
    "verify",
]

_EXPORTS = {
    "policies.approval_desk": ("ApprovalDesk",),
    "policies.audit": ("AuditRecord", "ChainReport", "export", "records", "verify"),
    "policies.config": ("MODES", "Mode", "Permission", "Policy", "load_policy", "parse_policy"),
    "policies.controls": ("Controls",),
    "policies.decision": ("ActionKind", "Facts"),
    "policies.errors": (
        "ApprovalNotFoundError",
        "DelegationRefusedError",
        "PolicyConfigError",
        "PolicyError",
        "PolicyFileError",
        "PolicyRequestError",
        "UnknownPrincipalError",
    ),
    "policies.guard": ("Guard",),
    "policies.outcomes": ("Denied", "Outcome", "PendingApproval", "Posted", "Proposed"),
    "policies.principals": (
        "Principal",
        "declared_delegate",
        "delegate",
        "principal_for_role",
        "resolve_principal",
    ),
    "policies.schema": ("open_store",),
    "policies.specs": ("ActionSpec", "Describe", "ExecContext", "External", "Transactional"),
}
__getattr__ = lazy_exports(__name__, _EXPORTS)
