"""The loyalty engine: program configuration, the points ledger, and the rules on top of it.

Modules: `config` (program file), `ledger`/`ledger_reads` (the point ledger), `facts` (the
normalized input of the rules), `accrual`, `valuation`, `pricing`, `rewards`, `insights`, `tiers`,
`segments` (pure rules, each returning its inputs and a one-line reasoning), `display` (how
numbers and money read in those reasonings and everywhere else a person reads).

This module exports what other packages use; the rest is imported from its own module
(`tools.loyalty.ledger.expire_due`), and the engine's modules import each other directly.
"""

from __future__ import annotations

from tools.loyalty.config import ProgramConfig, ProgramFile, default_program_path, load_program_file
from tools.loyalty.errors import LoyaltyError, ProgramConfigError, UnknownAccountError
from tools.loyalty.facts import INACTIVE_MEMBERSHIP_STATES, MemberFacts, MembershipFacts
from tools.loyalty.insights import MemberSummary, assess_lapse, member_summary, rfm_scores
from tools.loyalty.ledger import (
    ensure_account,
    ledger_lock_key,
    post_entry,
    post_entry_available,
    reverse_entry,
    reward_inventory_lock_key,
)
from tools.loyalty.ledger_model import Account, LedgerEntry, Source
from tools.loyalty.ledger_reads import balance, get_account, get_entry, history, redemptions_on
from tools.loyalty.ledger_schema import LEDGER
from tools.loyalty.pricing import RedemptionQuote, redemption_price
from tools.loyalty.rewards import (
    Recommendations,
    check_eligibility,
    list_rewards,
    recommend_rewards,
)
from tools.loyalty.segments import (
    HighSpendNoRedemption,
    Lapsing,
    NearNextTier,
    SegmentQuery,
    SegmentResult,
    find_segment,
)
from tools.loyalty.tiers import TierProgress, tier_progress
from tools.loyalty.valuation import BonusProposal, propose_bonus

__all__ = [
    "INACTIVE_MEMBERSHIP_STATES",
    "LEDGER",
    "Account",
    "BonusProposal",
    "HighSpendNoRedemption",
    "Lapsing",
    "LedgerEntry",
    "LoyaltyError",
    "MemberFacts",
    "MemberSummary",
    "MembershipFacts",
    "NearNextTier",
    "ProgramConfig",
    "ProgramConfigError",
    "ProgramFile",
    "Recommendations",
    "RedemptionQuote",
    "SegmentQuery",
    "SegmentResult",
    "Source",
    "TierProgress",
    "UnknownAccountError",
    "assess_lapse",
    "balance",
    "check_eligibility",
    "default_program_path",
    "ensure_account",
    "find_segment",
    "get_account",
    "get_entry",
    "history",
    "ledger_lock_key",
    "list_rewards",
    "load_program_file",
    "member_summary",
    "post_entry",
    "post_entry_available",
    "propose_bonus",
    "recommend_rewards",
    "redemption_price",
    "redemptions_on",
    "reverse_entry",
    "reward_inventory_lock_key",
    "rfm_scores",
    "tier_progress",
]
