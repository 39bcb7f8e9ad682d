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
    "csrf_matches",
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


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SessionCodec:
    """Signs and checks session cookies; remembers revoked session ids."""

    secret: bytes
    max_age_s: float = SESSION_HOURS * 3600
    clock: Callable[[], float] = time.time
    _revoked: dict[str, float] = field(default_factory=dict)

    def encode(self, data: SessionData) -> str:
        body = _b64(
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
            raw: Any = json.loads(_unb64(body))
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
        return _b64(hmac.new(self.secret, body.encode(), hashlib.sha256).digest())


def csrf_matches(session: SessionData, submitted: object) -> bool:
    return isinstance(submitted, str) and hmac.compare_digest(
        submitted.encode(), session.csrf.encode()
    )


@dataclass
class SignInThrottle:
    """At most `limit` failed sign-ins per name within `window_s`; then the name waits."""

    limit: int = 5
    window_s: float = 15 * 60
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, deque[float]] = field(default_factory=dict)

    def blocked(self, name: str) -> bool:
        return len(self._recent(name)) >= self.limit

    def failed(self, name: str) -> None:
        self._recent(name).append(self.clock())

    def succeeded(self, name: str) -> None:
        self._failures.pop(name, None)

    def _recent(self, name: str) -> deque[float]:
        times = self._failures.setdefault(name, deque())
        while times and self.clock() - times[0] > self.window_s:
            times.popleft()
        return times
