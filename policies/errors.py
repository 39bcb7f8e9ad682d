"""Errors of the policy layer.

Policy refusals are not errors: `decide` and the guard return `Deny`/`Denied` values. What is
raised here is either a misconfiguration that must stop the program, or a request the caller has
to fix (the MCP tools show those to the model as tool errors)::

    PolicyError
    ├── PolicyConfigError                     stop the program
    │   ├── PolicyFileError(source, problems)   the policy file is missing or invalid
    │   └── AuditKeyError(env_var)              an audit key is required but not set
    └── PolicyRequestError                    the caller can fix the request
        ├── UnknownPrincipalError(name)         nobody of that name in the policy file
        ├── DelegationRefusedError(client, person)  a client may not act for that person
        ├── UnknownActionError(name)            no registered action of that name
        ├── InvalidRequestError(detail)         arguments that are not JSON, a bad value
        ├── IdempotencyConflictError(key)       the key was used for another request
        ├── RequestInProgressError(key)         the key's request is still executing
        └── ApprovalNotFoundError(approval_id)
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "ApprovalNotFoundError",
    "AuditKeyError",
    "DelegationRefusedError",
    "IdempotencyConflictError",
    "InvalidRequestError",
    "PolicyConfigError",
    "PolicyError",
    "PolicyFileError",
    "PolicyRequestError",
    "RequestInProgressError",
    "UnknownActionError",
    "UnknownPrincipalError",
]


class PolicyError(Exception):
    """Base class of every error raised by `policies`."""


class PolicyConfigError(PolicyError):
    """The policy layer is misconfigured: the program must not run like this."""


class PolicyFileError(PolicyConfigError):
    """The policy file cannot be used; `problems` are one line each, naming the key."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = tuple(problems)
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"invalid policy file {source}:\n{lines}")


class AuditKeyError(PolicyConfigError):
    """`audit.require_key` is set but the environment variable holding the key is empty."""

    def __init__(self, env_var: str) -> None:
        self.env_var = env_var
        super().__init__(f"the policy requires an audit key but {env_var} is not set")


class PolicyRequestError(PolicyError):
    """A request the caller can correct (shown to the model or the user as is)."""


class UnknownPrincipalError(PolicyRequestError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"unknown principal {name!r}: not listed under [principals]")


class DelegationRefusedError(PolicyRequestError):
    """A client declared it acts for a person the policy file does not let it act for."""

    def __init__(self, client: str, person: str, why: str) -> None:
        self.client = client
        self.person = person
        super().__init__(f"{client} may not act for {person}: {why}")


class UnknownActionError(PolicyRequestError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"unknown action {name!r}: no such guarded action is registered")


class InvalidRequestError(PolicyRequestError):
    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(detail)


class IdempotencyConflictError(PolicyRequestError):
    """The idempotency key was used before for a different request."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(
            f"idempotency key {key!r} was already used for a different request "
            "(other action, arguments or principal); use a new key"
        )


class RequestInProgressError(PolicyRequestError):
    """A request with this key started executing and has not recorded its result."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(
            f"the request with idempotency key {key!r} is still executing (or was interrupted); "
            "check its audit record before trying again"
        )


class ApprovalNotFoundError(PolicyRequestError):
    def __init__(self, approval_id: str) -> None:
        self.approval_id = approval_id
        super().__init__(f"no approval request with id {approval_id!r}")
