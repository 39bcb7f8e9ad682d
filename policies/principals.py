"""Who is calling: a named principal with the role the policy file gives it."""

from __future__ import annotations

from dataclasses import dataclass

from policies.config import Permission, Policy
from policies.errors import UnknownPrincipalError

__all__ = ["SYSTEM", "Principal", "principal_for_role", "resolve_principal"]


@dataclass(frozen=True)
class Principal:
    name: str
    role: str
    permissions: frozenset[Permission]
    automated: bool = False  # agent-kind: the assistant or an automation

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions


SYSTEM = Principal("system", "system", frozenset(), automated=False)
"""The policy layer itself, in audit records it writes on its own (expiry, breaker trips)."""


def resolve_principal(policy: Policy, name: str) -> Principal:
    """The principal named in `[principals]`; `UnknownPrincipalError` otherwise."""
    role = policy.principals.get(name)
    if role is None:
        raise UnknownPrincipalError(name)
    return principal_for_role(policy, role, name=name)


def principal_for_role(policy: Policy, role: str, *, name: str) -> Principal:
    """A principal with a given role (e.g. `loyalty serve --role viewer` with no named caller)."""
    config = policy.roles.get(role)
    if config is None:
        raise UnknownPrincipalError(f"{name} (role {role!r} is not defined)")
    return Principal(name, role, frozenset(config.permissions), config.automated)
