"""Who the command line acts as: a principal it can prove, not one it merely names.

    LOYALTY_TOKEN=<token> loyalty approvals approve apr_... --as bob

In order:

1. `LOYALTY_TOKEN`: one of the bearer tokens of `LOYALTY_MCP_TOKENS` (the same tokens as MCP
   over HTTP); the command acts as that token's principal.
2. The OS user, mapped under `[identity] os_users` in the policy file (`jdoe = "carol"`).
3. Neither, on the embedded sandbox (no `MEWS_*` configured): the demo principals stay easy,
   `--as NAME` names one. Against real Mews, the command refuses and says what to set.

With an identity, `--as` may repeat it but never name someone else: acting as bob needs bob's
credential, so one person in one shell cannot pass four-eyes by typing two names.
"""

from __future__ import annotations

import getpass
import hmac
import os
from collections.abc import Mapping

from agent.errors import ConfigError
from policies import Policy

__all__ = ["TOKEN_ENV", "IdentityError", "proven_name", "unknown_principal_message"]

TOKEN_ENV = "LOYALTY_TOKEN"


class IdentityError(ConfigError):
    """The command line cannot act as the principal asked for."""


def proven_name(
    policy: Policy, requested: str | None, environ: Mapping[str, str] | None = None
) -> str | None:
    """The principal to act as: the proven one, or on the sandbox the one named (None: the
    command's default). Raises `IdentityError` with what to do."""
    env = os.environ if environ is None else environ
    token = env.get(TOKEN_ENV, "").strip()
    if token:
        return _same(requested, _token_owner(policy, token, env), f"{TOKEN_ENV}")
    user = _os_user()
    mapped = policy.identity.os_users.get(user) if user else None
    if mapped is not None:
        return _same(requested, mapped, f"the OS user {user!r} ([identity] os_users)")
    from app.mews_env import uses_real_mews

    if not uses_real_mews(env):
        return requested  # the embedded sandbox: the demo principals stay easy to use
    raise IdentityError(
        "against real Mews the command line acts only as a principal it can prove: set "
        f"{TOKEN_ENV} to your token from LOYALTY_MCP_TOKENS, or map your OS user "
        f"({user or 'unknown'}) under [identity] os_users in the policy file"
    )


def unknown_principal_message(policy: Policy, name: str | None) -> str:
    """What `--as NAME` naming nobody is told: the names the policy knows."""
    known = ", ".join(sorted(policy.principals))
    return f"unknown principal {name!r} (--as): the policy knows {known}"


def _token_owner(policy: Policy, token: str, env: Mapping[str, str]) -> str:
    from tools.server.transports import TOKENS_ENV, TokenError, parse_tokens

    try:
        table = parse_tokens(env.get(TOKENS_ENV, ""), policy)
    except TokenError as exc:
        raise IdentityError(f"{TOKEN_ENV} is set, but {exc}") from None
    for known, name in table.items():
        if hmac.compare_digest(known.encode(), token.encode()):
            return name
    raise IdentityError(f"{TOKEN_ENV} is not one of the tokens of {TOKENS_ENV}")


def _same(requested: str | None, proven: str, how: str) -> str:
    if requested is not None and requested != proven:
        raise IdentityError(
            f"--as {requested}: {how} says you are {proven}; acting as {requested} needs "
            f"{requested}'s own credential (their {TOKEN_ENV})"
        )
    return proven


def _os_user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in this environment
        return None
