"""What the policy, audit and approvals commands share: opening the guard, naming principals,
printing outcomes, and turning bad input into a one-line message with exit code 2.

`policies` (SQLAlchemy, pydantic) is imported inside the functions, so that `loyalty --help` and
unrelated commands do not pay for it.
"""

from __future__ import annotations

from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

if TYPE_CHECKING:
    from policies import Guard, Outcome, Policy, Principal

__all__ = [
    "EXIT_DENIED",
    "EXIT_USAGE",
    "AsOption",
    "dumps",
    "fail",
    "load",
    "opened",
    "principal",
    "proven",
    "proven_caller",
    "report",
    "run",
]

T = TypeVar("T")

EXIT_USAGE = 2  # bad input: unknown names, bad ids, bad values, an invalid policy file
EXIT_DENIED = 1  # the policy refused

AsOption = Annotated[str, typer.Option("--as", help="Who you are: a name under [principals].")]
"""The `--as NAME` of a command a principal runs (`principal` checks the name)."""


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def load() -> Policy:
    from policies import PolicyFileError, load_policy

    try:
        return load_policy()
    except PolicyFileError as exc:
        fail(str(exc))


@contextmanager
def opened() -> Iterator[Guard]:
    """The guard over the configured database (migrated on open), closed afterwards."""
    from sqlalchemy.exc import SQLAlchemyError

    from policies import Guard, PolicyConfigError, PolicyRequestError, open_store
    from storage.store import StoreError

    policy = load()
    try:
        store = open_store()
    except (StoreError, SQLAlchemyError) as exc:
        fail(f"cannot open the database: {_first_line(exc)}")
    try:
        guard = Guard(store, policy)
    except PolicyConfigError as exc:
        store.dispose()
        fail(str(exc))
    try:
        yield guard
    except PolicyRequestError as exc:
        fail(str(exc))
    finally:
        store.dispose()


def principal(guard: Guard, name: str) -> Principal:
    """The principal `--as` names, once the command line has proven it may act as them."""
    from app.identity import unknown_principal_message
    from policies import PolicyRequestError

    name = proven(guard.policy, name)
    try:
        return guard.principal(name)
    except PolicyRequestError:
        fail(unknown_principal_message(guard.policy, name))


def proven(policy: Policy, name: str) -> str:
    """The principal `--as NAME` may act as: NAME once proven, or on the embedded sandbox NAME
    as given (`fail`s saying which credential to set)."""
    from app.identity import IdentityError, proven_name

    try:
        return proven_name(policy, name) or name
    except IdentityError as exc:
        fail(str(exc))


def proven_caller(policy: Policy, name: str | None) -> str | None:
    """`proven` for a command with a default principal (`loyalty serve`): the principal a
    credential proves even without `--as`; None (the command's default) only on the embedded
    sandbox with no credential set (`fail`s saying which credential to set)."""
    from app.identity import IdentityError, proven_name

    try:
        return proven_name(policy, name)
    except IdentityError as exc:
        fail(str(exc))


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    import asyncio  # not at import: `loyalty --help` never runs a loop

    return asyncio.run(coroutine)


def report(outcome: Outcome, done: str) -> None:
    """Print what happened; a denial exits with code 1."""
    from policies import Denied, PendingApproval, Posted

    if isinstance(outcome, Posted):
        typer.echo(done)
    elif isinstance(outcome, PendingApproval):
        typer.echo(f"pending approval {outcome.approval_id}: {outcome.reason} ({outcome.rule})")
    elif isinstance(outcome, Denied):
        fail(f"denied by {outcome.rule}: {outcome.reason}", EXIT_DENIED)


def dumps(data: Any) -> str:
    import json

    return json.dumps(data, indent=2, ensure_ascii=False, default=str)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
