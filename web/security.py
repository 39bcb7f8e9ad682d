"""Sessions, CSRF tokens, sign-in throttling and response headers.

A session is a signed cookie (HMAC-SHA-256 over its JSON body, with the app's secret):
`{"sid", "user", "fp", "csrf", "iat"}`. It is HTTP-only, `SameSite=Lax`, `Secure` when the
request came over https, and valid for `SESSION_HOURS`. Every visitor gets one (anonymous until
sign-in), so that the sign-in form has a CSRF token too; signing in issues a new session id and
token (no fixation); signing out revokes the session id for the rest of its life. The secret is
`LOYALTY_WEB_SECRET` when set, otherwise random per process (a restart signs everyone out).

Every form carries the session's CSRF token in a hidden `csrf` field, compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = [
    "COOKIE_NAME",
    "SECRET_ENV",
    "SECURITY_HEADERS",
    "SESSION_HOURS",
    "SessionCodec",
    "SessionData",
    "SignInThrottle",
    "b64url",
    "csrf_matches",
    "unb64url",
]

COOKIE_NAME = "loyalty_session"
SECRET_ENV = "LOYALTY_WEB_SECRET"
SESSION_HOURS = 12
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class SessionData:
    sid: str
    csrf: str
    issued_at: float
    user: str | None = None
    fingerprint: str | None = None

    @classmethod
    def fresh(
        cls, now: float, user: str | None = None, fingerprint: str | None = None
    ) -> SessionData:
        return cls(
            sid=secrets.token_urlsafe(16),
            csrf=secrets.token_urlsafe(24),
            issued_at=now,
            user=user,
            fingerprint=fingerprint,
        )

    def signed_in(self, user: str, fingerprint: str, now: float) -> SessionData:
        return replace(SessionData.fresh(now), user=user, fingerprint=fingerprint)


def b64url(data: bytes) -> str:
    """Unpadded URL-safe base64 (cookies and stored password hashes)."""
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SessionCodec:
    """Signs and checks session cookies; remembers revoked session ids."""

    secret: bytes
    max_age_s: float = SESSION_HOURS * 3600
    clock: Callable[[], float] = time.time
    _revoked: dict[str, float] = field(default_factory=dict)

    def encode(self, data: SessionData) -> str:
        body = b64url(
            json.dumps(
                {
                    "sid": data.sid,
                    "csrf": data.csrf,
                    "iat": data.issued_at,
                    "user": data.user,
                    "fp": data.fingerprint,
                },
                separators=(",", ":"),
            ).encode()
        )
        return f"{body}.{self._sign(body)}"

    def decode(self, cookie: str | None) -> SessionData | None:
        """The session in a cookie, or None if it is absent, forged, expired or revoked."""
        if not cookie or cookie.count(".") != 1:
            return None
        body, signature = cookie.split(".")
        if not hmac.compare_digest(signature, self._sign(body)):
            return None
        try:
            raw: Any = json.loads(unb64url(body))
            data = SessionData(
                sid=str(raw["sid"]),
                csrf=str(raw["csrf"]),
                issued_at=float(raw["iat"]),
                user=None if raw["user"] is None else str(raw["user"]),
                fingerprint=None if raw["fp"] is None else str(raw["fp"]),
            )
        except (ValueError, KeyError, TypeError):
            return None
        now = self.clock()
        if now - data.issued_at > self.max_age_s or data.sid in self._revoked:
            return None
        return data

    def revoke(self, data: SessionData) -> None:
        now = self.clock()
        self._revoked = {
            sid: until for sid, until in self._revoked.items() if until > now
        }  # forget the ones that expired anyway
        self._revoked[data.sid] = data.issued_at + self.max_age_s

    def _sign(self, body: str) -> str:
        return b64url(hmac.new(self.secret, body.encode(), hashlib.sha256).digest())


def csrf_matches(session: SessionData, submitted: object) -> bool:
    return isinstance(submitted, str) and hmac.compare_digest(
        submitted.encode(), session.csrf.encode()
    )


@dataclass(frozen=True)
class ThrottleScope:
    """Failed sign-ins counted under one key within `window_s`: the first `free` cost nothing,
    each one after doubles the wait (1 s, 2 s, 4 s, ...) up to `max_wait_s`."""

    free: int
    max_wait_s: float

    def wait(self, failures: int) -> float:
        if failures <= self.free:
            return 0.0
        return float(min(self.max_wait_s, 2 ** min(failures - self.free - 1, 20)))


@dataclass
class SignInThrottle:
    """Progressive delays after failed sign-ins, per name, per client address and overall.

    Per name (a guessed password), per address (one machine trying many names: password
    spraying) and across everyone (spraying from many machines). A delay is never a lockout:
    the longest wait for a name is `max_wait_s` after the last failure, so a stranger cannot
    keep a manager out for long, while guessing slows to a crawl.
    """

    window_s: float = 15 * 60
    name: ThrottleScope = ThrottleScope(free=3, max_wait_s=30)
    address: ThrottleScope = ThrottleScope(free=5, max_wait_s=300)
    everyone: ThrottleScope = ThrottleScope(free=50, max_wait_s=30)
    clock: Callable[[], float] = time.monotonic
    _failures: dict[tuple[str, str], deque[float]] = field(default_factory=dict)

    def retry_after(self, name: str, address: str) -> float:
        """Seconds to wait before this name may try again from this address (0: go ahead)."""
        now = self.clock()
        waits = [self._wait(key, scope, now) for key, scope in self._keys(name, address)]
        return max(waits)

    def failed(self, name: str, address: str) -> None:
        now = self.clock()
        for key, _scope in self._keys(name, address):
            self._recent(key, now).append(now)

    def succeeded(self, name: str, address: str) -> None:
        self._failures.pop(("name", name), None)
        self._failures.pop(("address", address), None)

    def _keys(self, name: str, address: str) -> list[tuple[tuple[str, str], ThrottleScope]]:
        return [
            (("name", name), self.name),
            (("address", address), self.address),
            (("everyone", ""), self.everyone),
        ]

    def _wait(self, key: tuple[str, str], scope: ThrottleScope, now: float) -> float:
        times = self._recent(key, now)
        if not times:
            return 0.0
        return max(0.0, times[-1] + scope.wait(len(times)) - now)

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and now - times[0] > self.window_s:
            times.popleft()
        return times
