"""Where the audit chain's HMAC key comes from: never from the database it protects.

In order: the environment variable the policy names (`LOYALTY_AUDIT_KEY`), else a key file
(`audit.key_file` of the policy, else `LOYALTY_AUDIT_KEY_FILE`, else `audit.key` in the user
config directory). On first start the file is created with 32 random bytes and permissions
0600; a key file that others may read or write is refused, since whoever can read the key can
forge the chain.

`require_key = true` in the policy turns creation off: the key must already be set (the choice
for several processes sharing one database, which must all use the same key). A database whose
chain was already written without a key keeps being verified as plain SHA-256 rather than
appearing broken; `resolve` says so in the log.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path

import sqlalchemy as sa

from policies.config import Policy
from policies.errors import AuditKeyError, PolicyConfigError
from policies.schema import audit_head_table
from storage.store import Store

__all__ = ["KEY_FILE_ENV", "key_file_path", "load_key", "resolve"]

_log = logging.getLogger(__name__)

KEY_FILE_ENV = "LOYALTY_AUDIT_KEY_FILE"
_APP = "mews-loyalty"


def key_file_path(policy: Policy) -> Path:
    configured = policy.audit.key_file or os.environ.get(KEY_FILE_ENV, "").strip()
    if configured:
        return Path(configured).expanduser()
    try:
        import platformdirs
    except ImportError:  # the key must not depend on an optional import succeeding
        base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
        return Path(base) / _APP / "audit.key"
    return Path(platformdirs.user_config_dir(_APP)) / "audit.key"


def load_key(policy: Policy, *, create: bool) -> bytes | None:
    """The key from the environment or the key file; created when allowed and missing."""
    value = os.environ.get(policy.audit.key_env, "")
    if value:
        return value.encode("utf-8")
    path = key_file_path(policy)
    if path.exists():
        return _read(path)
    if policy.audit.require_key:
        raise AuditKeyError(policy.audit.key_env)
    return _create(path) if create else None


def resolve(policy: Policy, store: Store) -> bytes | None:
    """The key the guard chains with (see the module docstring)."""
    key = load_key(policy, create=False)
    if key is not None:
        return key
    with store.read() as conn:
        head = conn.execute(sa.select(audit_head_table).where(audit_head_table.c.id == 1)).first()
    if head is not None and head.seq > 0 and head.algorithm in (None, "sha256"):
        _log.warning(
            "the audit chain of this database was written without a key; it stays plain "
            "SHA-256. Start a new database to get a keyed (HMAC) chain."
        )
        return None
    return _create(key_file_path(policy))


def _read(path: Path) -> bytes:
    mode = stat.S_IMODE(path.stat().st_mode)
    if os.name == "posix" and mode & 0o077:
        raise PolicyConfigError(
            f"the audit key file {path} may be read or written by others (mode {mode:04o}); "
            f"run: chmod 600 {path}"
        )
    key = path.read_text(encoding="utf-8").strip()
    if len(key) < 32:
        raise PolicyConfigError(f"the audit key file {path} holds no key of 32+ characters")
    return key.encode("utf-8")


def _create(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return _read(path)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    _log.info("created the audit key file %s (keep it outside the database and backed up)", path)
    return key.encode("utf-8")
