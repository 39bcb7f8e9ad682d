"""Staff accounts of the web app: a TOML file of names, roles and password hashes.

    # LOYALTY_WEB_USERS (default: web-users.toml in the user config directory)
    [users.carol]
    role = "staff"
    password = "scrypt$16384$8$1$<salt>$<hash>"

Passwords are stored as scrypt hashes (`hashlib.scrypt`, a random 16-byte salt each), never as
text; `loyalty web add-user NAME --role ROLE` prompts for one and writes the entry. Each user
acts as a policy principal of that name with that role; a name the policy already lists under
`[principals]` must keep the role it has there.

Errors: `UsersFileError` (the file is missing, unreadable or invalid; the message says which
and what to do).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from web.security import b64url, unb64url

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "USERS_ENV",
    "User",
    "UsersFileError",
    "check_users",
    "default_users_path",
    "hash_password",
    "load_users",
    "save_user",
    "users_path",
    "valid_name",
    "verify_password",
]

USERS_ENV = "LOYALTY_WEB_USERS"
MIN_PASSWORD_LENGTH = 10
_NAME = re.compile(r"^[a-z][a-z0-9_.-]{0,39}$")
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_DUMMY_HASH: str | None = None


class UsersFileError(Exception):
    """The users file cannot be used; the message names the file and the fix."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    password_hash: str

    @property
    def fingerprint(self) -> str:
        """Changes whenever the password does: a session remembers it, so a new password
        signs out the sessions opened with the old one."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]


def valid_name(name: str) -> bool:
    return _NAME.fullmatch(name) is not None


def default_users_path() -> Path:
    return Path(platformdirs.user_config_dir("mews-loyalty")) / "web-users.toml"


def users_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    value = env.get(USERS_ENV, "").strip()
    return Path(value).expanduser() if value else default_users_path()


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """`scrypt$N$r$p$salt$hash`, salt and hash in unpadded URL-safe base64."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${b64url(salt)}${b64url(digest)}"


def verify_password(password: str, stored: str | None) -> bool:
    """True when `password` matches `stored`; with no stored hash (an unknown user) the same
    work is done against a dummy hash, so that timing does not tell which names exist."""
    global _DUMMY_HASH
    if stored is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
        verify_password(password, _DUMMY_HASH)
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = unb64url(digest)
        actual = hashlib.scrypt(
            password.encode(),
            salt=unb64url(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def load_users(path: Path) -> dict[str, User]:
    """Every user of the file; `UsersFileError` when it is missing or invalid."""
    if not path.exists():
        raise UsersFileError(
            f"no users file at {path}: create the first account with "
            f"`loyalty web add-user NAME --role manager` (or try it with `loyalty web --demo`)"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsersFileError(f"cannot read the users file {path}: {exc}") from None
    return _parse(path, data)


def _parse(path: Path, data: Mapping[str, object]) -> dict[str, User]:
    extra = sorted(set(data) - {"users"})
    if extra:
        raise UsersFileError(f"{path}: unknown key(s) {', '.join(extra)}; only [users.NAME]")
    table = data.get("users", {})
    if not isinstance(table, dict):
        raise UsersFileError(f"{path}: `users` must be a table of [users.NAME] entries")
    users: dict[str, User] = {}
    for name, entry in table.items():
        where = f"{path}: [users.{name}]"
        if not valid_name(name):
            raise UsersFileError(f"{where}: names are lower-case letters, digits, _ . - (max 40)")
        if not isinstance(entry, dict) or sorted(entry) != ["password", "role"]:
            raise UsersFileError(f"{where} needs exactly `role` and `password` (a hash)")
        role, password = entry["role"], entry["password"]
        if not isinstance(role, str) or not isinstance(password, str):
            raise UsersFileError(f"{where}: `role` and `password` must be strings")
        if not password.startswith("scrypt$") or password.count("$") != 5:
            raise UsersFileError(
                f"{where}: `password` must be a hash written by `loyalty web add-user`, "
                "never the password itself"
            )
        users[name] = User(name, role, password)
    return users


def save_user(path: Path, user: User) -> bool:
    """Add or replace `user` in the file (created with mode 0600); True when it was new."""
    users = load_users(path) if path.exists() else {}
    created = user.name not in users
    users[user.name] = user
    lines = [
        "# Staff accounts of `loyalty web`. Written by `loyalty web add-user`;",
        "# `password` is an scrypt hash, never the password itself.",
    ]
    for entry in sorted(users.values(), key=lambda u: u.name):
        lines += ["", f"[users.{entry.name}]", f'role = "{entry.role}"']
        lines.append(f'password = "{entry.password_hash}"')
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    temporary.replace(path)
    return created


def check_users(
    users: Mapping[str, User], roles: Mapping[str, object], principals: Mapping[str, str]
) -> None:
    """`UsersFileError` for a user whose role the policy does not define, or whose name the
    policy gives another role under `[principals]` (one name, one role everywhere)."""
    for user in users.values():
        if user.role not in roles:
            raise UsersFileError(
                f"user {user.name!r} has role {user.role!r}, which the policy does not define "
                f"(roles: {', '.join(sorted(roles))})"
            )
        named = principals.get(user.name)
        if named is not None and named != user.role:
            raise UsersFileError(
                f"user {user.name!r} has role {user.role!r} but the policy names {user.name} as "
                f"{named!r}; use another name or the same role"
            )
