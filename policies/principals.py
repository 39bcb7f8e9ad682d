"""Who is calling: a named principal with the role the policy file gives it.

A *delegated* principal is the model of the built-in chat acting for the signed-in person:
`delegate(policy, carol)` is "assistant for carol" (the agent named by `delegation.agent`),
with only the permissions both roles grant, counted as automated (modes, breaker), and held to
the caps of `delegation.caps`. An MCP client that is not the built-in chat may declare it acts
for a person when `[delegation.clients]` lets its principal act for them
(`declared_delegate(policy, deskapp, carol)`): "deskapp for carol", with only the permissions
the agent, the client and the person all have, so a declaration never adds a right. Its name
is what the audit, the caps and the breaker see, so the audit records both: who ran it and for
whom. Policy names cannot contain spaces, so the name
"assistant for carol" can never be mistaken for a person in the policy file.
"""

from __future__ import annotations

from dataclasses import dataclass

from policies.config import Permission, Policy
from policies.errors import DelegationRefusedError, UnknownPrincipalError

__all__ = [
    "DELEGATION_JOINER",
    "SYSTEM",
    "Principal",
    "declared_delegate",
    "delegate",
    "principal_for_role",
    "resolve_principal",
]

DELEGATION_JOINER = " for "
_MAX_NAME = 64  # the width of the principal columns of the policy tables


@dataclass(frozen=True)
class Principal:
    name: str
    role: str
    permissions: frozenset[Permission]
    automated: bool = False  # agent-kind: the assistant or an automation
    on_behalf_of: str | None = None  # a delegated principal: the person it acts for

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def delegated(self) -> bool:
        return self.on_behalf_of is not None

    def acts_for(self, name: str) -> bool:
        """True when `name` is this principal, or the person this delegated principal acts for."""
        return name in (self.name, self.on_behalf_of)


SYSTEM = Principal("system", "system", frozenset(), automated=False)
"""The policy layer itself, in audit records it writes on its own (expiry, breaker trips)."""


def resolve_principal(policy: Policy, name: str) -> Principal:
    """The principal named in `[principals]` (or a delegated "agent for person" name);
    `UnknownPrincipalError` otherwise."""
    client, joiner, person = name.partition(DELEGATION_JOINER)
    if joiner:
        if client == policy.delegation.agent:
            return delegate(policy, resolve_principal(policy, person))
        if person not in policy.delegation.clients.get(client, ()):
            raise UnknownPrincipalError(name)
        return delegate(
            policy, resolve_principal(policy, person), via=resolve_principal(policy, client)
        )
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


def delegate(policy: Policy, person: Principal, *, via: Principal | None = None) -> Principal:
    """The model acting for `person`: the agent's rights intersected with the person's (and
    with those of `via`, an MCP client that declared it acts for them)."""
    if person.delegated:
        return person  # already the assistant for someone: delegation does not stack
    agent = resolve_principal(policy, policy.delegation.agent)
    client = via or agent
    name = f"{client.name}{DELEGATION_JOINER}{person.name}"
    if len(name) > _MAX_NAME:
        raise UnknownPrincipalError(f"{name} (a delegated name has at most {_MAX_NAME} characters)")
    return Principal(
        name=name,
        role=f"{client.role}{DELEGATION_JOINER}{person.role}",
        permissions=agent.permissions & client.permissions & person.permissions,
        automated=True,
        on_behalf_of=person.name,
    )


def declared_delegate(policy: Policy, client: Principal, person_name: str) -> Principal:
    """An MCP client declaring it acts for `person_name`: "<client> for <person>" when
    `[delegation.clients]` lets the client act for them; `DelegationRefusedError` otherwise
    (a client already acting for someone cannot switch to another person)."""
    if client.delegated:
        if client.on_behalf_of == person_name:
            return client
        raise DelegationRefusedError(
            client.name, person_name, f"it already acts for {client.on_behalf_of}"
        )
    allowed = policy.delegation.clients.get(client.name, [])
    if person_name not in allowed:
        raise DelegationRefusedError(
            client.name,
            person_name,
            f"[delegation.clients] in the policy file lists {', '.join(allowed) or 'nobody'} "
            f"for {client.name}",
        )
    return delegate(policy, resolve_principal(policy, person_name), via=client)
