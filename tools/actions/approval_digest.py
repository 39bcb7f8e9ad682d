"""One Mews task announcing several approval requests: "Loyalty approvals: 12 waiting".

A burst of automated work (a thousand checkouts, each with a stay bonus) can queue hundreds of
approval requests in a minute. One `tasks/add` each would flood the property's task list and
spend the access token's request budget, so the notice dispatcher announces the requests it
delivers together in one digest task per hotel: the earliest deadline, one line per request in
words (the member's name, not ids), as many lines as fit Mews' limits, and how many more wait.
A single request keeps its own task (`policies.approvals.task_payload`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from tools.loyalty.display import when
from tools.mews.models import format_utc

__all__ = ["DESCRIPTION_LIMIT", "NAME_LIMIT", "DigestLine", "digest_payload"]

NAME_LIMIT = 100
"""Characters of a task name we send (Mews documents none; 100 reads whole in the task list)."""
DESCRIPTION_LIMIT = 2000
"""Characters of a task description we send: Mews documents no maximum; 2,000 is what the
single approval task has always used and stays well inside what the API accepts (4,000)."""


@dataclass(frozen=True, slots=True)
class DigestLine:
    """One request of a digest: its sentence, why it waits, and when it lapses (the task's
    deadline is the earliest of them)."""

    sentence: str
    why: str
    deadline: datetime


def digest_payload(lines: Sequence[DigestLine], tz: tzinfo = UTC) -> dict[str, str]:
    """The body of one `tasks/add` for several requests (earliest deadline first); the text
    tells the deadline in `tz` (the enterprise's zone, named), `DeadlineUtc` stays UTC."""
    if not lines:
        raise ValueError("a digest needs at least one request")
    ordered = sorted(lines, key=lambda line: line.deadline)
    earliest = ordered[0].deadline
    head = (
        f"{len(ordered)} loyalty requests wait for a manager; the first lapses at "
        f"{when(earliest, tz)}.\n"
    )
    foot = (
        "Decide them in the web app's Approvals page or with `loyalty approvals list` and "
        "`loyalty approvals approve ID` (or `reject`)."
    )
    body: list[str] = []
    used = len(head) + len(foot)
    for shown, line in enumerate(ordered):
        text = f"- {line.sentence.rstrip('.')}. Why: {line.why.rstrip('.')}.\n"
        rest = len(ordered) - shown - 1
        more = f"...and {rest} more.\n" if rest else ""
        if used + len(text) + len(more) > DESCRIPTION_LIMIT:
            body.append(f"...and {len(ordered) - shown} more.\n")
            break
        body.append(text)
        used += len(text)
    return {
        "Name": f"Loyalty approvals: {len(ordered)} waiting"[:NAME_LIMIT],
        "DeadlineUtc": format_utc(earliest),
        "Description": (head + "".join(body) + foot)[:DESCRIPTION_LIMIT],
    }
