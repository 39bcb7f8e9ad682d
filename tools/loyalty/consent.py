"""Marketing consent: which channels a member may be addressed on with an offer.

Mews keeps consent as customer `Options` (CONNECTOR-API.md §5.3): `SendMarketingEmails` is the
guest's opt-in to marketing e-mail, `SendMarketingPostalMail` to marketing post. Mews has no
option for SMS, phone calls or an app, so the program file's `[consent]` table names, per
channel, the option that counts as consent there, or `"none"` (never address a member there)
or `"always"` (no opt-in needed, e.g. staff mentioning an offer in person).

    consent = marketing_consent(customer.options, email=customer.email, phone=customer.phone,
                                config=programs.consent)
    consent.allows("email")          # False for a guest without SendMarketingEmails
    consent.reason("sms")            # "SMS marketing is off in the program file ([consent] sms)"
    split = split_by_consent(members, "email", lambda m: m.consent)
    split.allowed, split.left_out    # the members to draft for; {reason: how many} left out

Every drafting path (offers, campaigns, win-back, reminders) asks here first; nothing is drafted
for a channel the member has not agreed to, and callers say how many were left out and why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Final, Generic, Literal, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "CONSENT_CHANNELS",
    "NO_CONSENT",
    "ConsentChannel",
    "ConsentConfig",
    "ConsentSplit",
    "MarketingConsent",
    "marketing_consent",
    "split_by_consent",
]

ConsentChannel = Literal["email", "sms", "app", "letter", "phone", "in_person"]
CONSENT_CHANNELS: Final[tuple[ConsentChannel, ...]] = get_args(ConsentChannel)
_MEWS_OPTIONS = Literal[
    "SendMarketingEmails",
    "SendMarketingPostalMail",
    "SendPartnerMarketingEmails",
    "SendPartnerMarketingPostalMail",
]
Rule = Annotated[
    _MEWS_OPTIONS | Literal["none", "always"],
    Field(description='a Mews customer option that counts as consent, "none" or "always"'),
]
_LABELS: Final[Mapping[str, str]] = {
    "email": "e-mail",
    "sms": "SMS",
    "app": "app",
    "letter": "post",
    "phone": "phone",
    "in_person": "in person",
}
_CONTACT: Final[Mapping[str, str]] = {"email": "e-mail address", "sms": "phone number"}


class ConsentConfig(BaseModel):
    """The `[consent]` table of the program file: what counts as consent, per channel."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    email: Rule = "SendMarketingEmails"
    sms: Rule = Field(
        default="SendMarketingEmails",
        description="Mews has no SMS option; EU law counts SMS as electronic mail, so the "
        'e-mail opt-in; "none" if your consent form does not cover SMS',
    )
    app: Rule = "SendMarketingEmails"
    letter: Rule = Field(
        default="always",
        description="post rests on legitimate interest in most of Europe (GDPR recital 47); "
        "SendMarketingPostalMail to require the opt-in",
    )
    phone: Rule = "none"
    in_person: Rule = "always"

    def rule(self, channel: ConsentChannel) -> str:
        value: str = getattr(self, channel)
        return value


ChannelT = TypeVar("ChannelT", bound=str)


@dataclass(frozen=True, slots=True)
class MarketingConsent:
    """Per channel: allowed, or the reason it is not (`reasons` holds only refused channels)."""

    reasons: Mapping[str, str] = field(default_factory=dict)
    options: tuple[str, ...] = ()

    def allows(self, channel: str) -> bool:
        return channel in CONSENT_CHANNELS and channel not in self.reasons

    def reason(self, channel: str) -> str | None:
        """Why the channel is refused, None when it is allowed."""
        if channel not in CONSENT_CHANNELS:
            return f"{channel!r} is not a marketing channel"
        return self.reasons.get(channel)

    def channels(self) -> tuple[ConsentChannel, ...]:
        return tuple(c for c in CONSENT_CHANNELS if c not in self.reasons)

    def first_allowed(self, preferred: Iterable[ChannelT]) -> ChannelT | None:
        """The first of `preferred` (in order) the member allows, None when none is."""
        return next((channel for channel in preferred if self.allows(channel)), None)

    def as_dict(self) -> dict[str, bool]:
        """`{"email": True, "sms": False, ...}`: what a member card shows."""
        return {channel: self.allows(channel) for channel in CONSENT_CHANNELS}


NO_CONSENT: Final = MarketingConsent(
    reasons=dict.fromkeys(CONSENT_CHANNELS, "no consent known for this member")
)
"""For a member whose Mews profile was not read: nothing may be drafted for them."""


def marketing_consent(
    options: Iterable[str],
    *,
    email: str | None,
    phone: str | None,
    config: ConsentConfig,
) -> MarketingConsent:
    """The member's consent per channel from their Mews customer `Options` and contact data."""
    held = tuple(str(option) for option in options)
    reasons: dict[str, str] = {}
    for channel in CONSENT_CHANNELS:
        refusal = _refusal(channel, config.rule(channel), held, email=email, phone=phone)
        if refusal is not None:
            reasons[channel] = refusal
    return MarketingConsent(reasons=reasons, options=held)


def _refusal(
    channel: ConsentChannel,
    rule: str,
    held: tuple[str, ...],
    *,
    email: str | None,
    phone: str | None,
) -> str | None:
    label = _LABELS[channel]
    if rule == "none":
        return f"{label} marketing is off in the program file ([consent] {channel})"
    if rule != "always" and rule not in held:
        return f"no consent to marketing by {label} (Mews option {rule} not set)"
    contact = {"email": email, "sms": phone}.get(channel, "-")
    if not (contact or "").strip():
        return f"no {_CONTACT[channel]} on file"
    return None


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ConsentSplit(Generic[T]):
    """The members a channel may address, and how many were left out for each reason."""

    channel: str
    allowed: tuple[T, ...]
    left_out: Mapping[str, int]

    @property
    def left_out_total(self) -> int:
        return sum(self.left_out.values())

    def summary(self) -> str:
        """`"2 left out of email: 2 no consent to marketing by e-mail (…)"`, or `""`."""
        if not self.left_out:
            return ""
        reasons = "; ".join(f"{n} {why}" for why, n in sorted(self.left_out.items()))
        return f"{self.left_out_total} left out of {self.channel}: {reasons}"


def split_by_consent(
    members: Iterable[T], channel: str, consent_of: Callable[[T], MarketingConsent]
) -> ConsentSplit[T]:
    allowed: list[T] = []
    left_out: Counter[str] = Counter()
    for member in members:
        why = consent_of(member).reason(channel)
        if why is None:
            allowed.append(member)
        else:
            left_out[why] += 1
    return ConsentSplit(channel, tuple(allowed), dict(left_out))
