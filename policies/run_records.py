"""What a run leaves behind in the guard's transaction: its outcome bound to the idempotency key,
an executor's failure (on its approval and in the audit), and a note on the guest's profile in
Mews for a write the assistant made."""

from __future__ import annotations

from policies import approvals, idempotency
from policies._tx import Run, Tx, error_summary
from policies.outcomes import Outcome
from storage.outbox import enqueue

__all__ = ["bind_outcome", "note_in_mews", "record_failure"]


def bind_outcome(tx: Tx, run: Run, outcome: Outcome, *, marked: bool = False) -> None:
    """Bind the outcome to the key (`marked`: the key was claimed as executing before)."""
    if run.approval_id is not None:
        return  # an approved run is bound to its approval row instead
    if marked:
        idempotency.finish_outcome(tx.conn, run.key, outcome, now=tx.now)
    else:
        idempotency.store_outcome(
            tx.conn,
            run.key,
            run.digest,
            outcome,
            action=run.action.name,
            principal=run.principal.name,
            now=tx.now,
        )


def record_failure(tx: Tx, run: Run, error: Exception) -> None:
    """An executor raised: its approval (if any) is `failed`, the audit keeps the summary."""
    summary = error_summary(error)
    if run.approval_id is not None:
        approvals.finish(tx.conn, run.approval_id, error=summary["error"])
    tx.audit(run.draft("failed", result=summary))


def note_in_mews(tx: Tx, run: Run) -> None:
    """Writes by the assistant are noted on the guest's profile (`accountNotes/add`)."""
    customer = run.action.facts.customer_id
    if not run.principal.automated or not customer:
        return
    what = run.action.facts.note or run.action.name
    text = f"Loyalty assistant ({run.principal.name}): {what}."
    if run.approval_id is not None:
        text += f" Approved by {run.actor.name} (approval {run.approval_id})."
    payload = {"AccountNotes": [{"AccountId": customer, "Content": text[:1000]}]}
    enqueue(tx.conn, "accountNotes/add", payload, now=tx.now)
