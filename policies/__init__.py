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
"""

from policies.approval_desk import ApprovalDesk
from policies.approvals import Approval
from policies.audit import AuditRecord, ChainReport, audit_key, export, records, verify
from policies.config import MODES, PERMISSIONS, Mode, Permission, Policy, load_policy, parse_policy
from policies.controls import Controls
from policies.decision import (
    Action,
    ActionKind,
    Allow,
    Context,
    Decision,
    Deny,
    Facts,
    NeedsApproval,
    Propose,
    Usage,
    decide,
)
from policies.errors import (
    ApprovalNotFoundError,
    AuditKeyError,
    IdempotencyConflictError,
    InvalidRequestError,
    PolicyConfigError,
    PolicyError,
    PolicyFileError,
    PolicyRequestError,
    RequestInProgressError,
    UnknownActionError,
    UnknownPrincipalError,
)
from policies.guard import Guard
from policies.outcomes import Denied, Outcome, PendingApproval, Posted, Proposed
from policies.principals import Principal, delegate, principal_for_role, resolve_principal
from policies.schema import POLICIES, open_store
from policies.specs import ActionSpec, ExecContext, External, Transactional
from policies.state import BreakerState, ModeState

__all__ = [
    "MODES",
    "PERMISSIONS",
    "POLICIES",
    "Action",
    "ActionKind",
    "ActionSpec",
    "Allow",
    "Approval",
    "ApprovalDesk",
    "ApprovalNotFoundError",
    "AuditKeyError",
    "AuditRecord",
    "BreakerState",
    "ChainReport",
    "Context",
    "Controls",
    "Decision",
    "Denied",
    "Deny",
    "ExecContext",
    "External",
    "Facts",
    "Guard",
    "IdempotencyConflictError",
    "InvalidRequestError",
    "Mode",
    "ModeState",
    "NeedsApproval",
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
    "Propose",
    "Proposed",
    "RequestInProgressError",
    "Transactional",
    "UnknownActionError",
    "UnknownPrincipalError",
    "Usage",
    "audit_key",
    "decide",
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
