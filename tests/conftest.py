"""Test-run guards shared by every test.

- No real network: any connection to a non-loopback address fails the test that made it.
- PostgreSQL: `postgres_url` gives a URL to a fresh, empty schema of the test database; when the
  server is unreachable the test is skipped with the reason, unless `LOYALTY_REQUIRE_POSTGRES=1`
  (set by `.ci/run`), in which case it fails.
- Async tests (`pytest.mark.anyio`) run on asyncio.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_local(address: Any) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    host = address[0] if isinstance(address, tuple) and address else ""
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _refuse(sock: socket.socket, address: Any) -> None:
    sock.close()  # an unclosed socket would surface later as a ResourceWarning
    raise RuntimeError(f"tests must not touch the network (tried to connect to {address!r})")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    if not _is_local(address):
        _refuse(self, address)
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    if not _is_local(address):
        _refuse(self, address)
    return _real_connect_ex(self, address)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


def _postgres_base_url() -> str:
    return os.environ.get("LOYALTY_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def _postgres_unreachable_reason() -> str | None:
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(_postgres_base_url(), connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any failure means "not available here"
        return f"PostgreSQL unreachable at {_postgres_base_url()}: {type(exc).__name__}: {exc}"
    return None


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """The test server's base URL, after checking that it answers."""
    reason = _postgres_unreachable_reason()
    if reason is not None:
        if os.environ.get("LOYALTY_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"LOYALTY_REQUIRE_POSTGRES=1 but {reason}")
        pytest.skip(reason)
    return _postgres_base_url()


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A URL whose connections live in a new, empty schema, dropped after the test."""
    import sqlalchemy as sa

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_server_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in postgres_server_url else "?"
    url = f"{postgres_server_url}{separator}options={quote(f'-csearch_path={schema}')}"
    try:
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session", autouse=True)
def _audit_key_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The audit key file the product creates on first start, kept out of the user's home."""
    path = tmp_path_factory.mktemp("audit-key") / "audit.key"
    previous = os.environ.get("LOYALTY_AUDIT_KEY_FILE")
    os.environ["LOYALTY_AUDIT_KEY_FILE"] = str(path)
    yield
    if previous is None:
        os.environ.pop("LOYALTY_AUDIT_KEY_FILE", None)
    else:
        os.environ["LOYALTY_AUDIT_KEY_FILE"] = previous


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    """Async tests run on asyncio, the event loop the product runs on."""
    return "asyncio"
