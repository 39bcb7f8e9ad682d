"""Personal data and secrets out of the audit log.

The audit log proves what happened; it does not need to know who the guest is beyond the ids
(which lead to Mews, where access is controlled). So before a record is written:

- values under personal keys (names, emails, phones, birth dates, addresses, free-text notes,
  reasons and comments) become `"[redacted]"`;
- values under secret keys (tokens, passwords, keys, authorization) become `"[removed]"`: the
  secret itself is never stored;
- in every other string, email addresses and phone numbers are masked, since free text and
  ids are where they slip in.

Keys match case- and separator-insensitively (`FirstName`, `first_name`, `first-name`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from storage.canonical import JSONValue

__all__ = ["REDACTED", "REMOVED", "redact", "scrub_text"]

REDACTED = "[redacted]"
REMOVED = "[removed]"

_PERSONAL_KEYS = frozenset(
    {
        "name",
        "names",
        "firstname",
        "lastname",
        "secondlastname",
        "fullname",
        "title",
        "email",
        "emails",
        "emailaddress",
        "phone",
        "phones",
        "phonenumber",
        "telephone",
        "mobile",
        "birthdate",
        "dateofbirth",
        "birthday",
        "birthplace",
        "address",
        "addresses",
        "street",
        "line1",
        "line2",
        "city",
        "postalcode",
        "zip",
        "zipcode",
        "nationality",
        "nationalitycode",
        "passport",
        "passportnumber",
        "documentnumber",
        "identitycard",
        "taxidentifier",
        "note",
        "notes",
        "comment",
        "comments",
        "description",
        "message",
        "text",
        "content",
        "reason",
        "rationale",
    }
)
_SECRET_PARTS = ("token", "password", "passwd", "secret", "apikey", "authorization", "credential")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?:\+\d[\d ()./-]{6,}\d)|(?:\b\d{3}[ .-]\d{3}[ .-]\d{3,4}\b)")


def redact(value: JSONValue) -> JSONValue:
    """A copy of a JSON value with personal data redacted and secrets removed."""
    if isinstance(value, Mapping):
        return {str(key): _redact_item(str(key), item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    if isinstance(value, str):
        return scrub_text(value)
    return value


def scrub_text(text: str) -> str:
    """Mask email addresses and phone numbers inside free text."""
    return _PHONE.sub("[phone]", _EMAIL.sub("[email]", text))


def _redact_item(key: str, value: JSONValue) -> JSONValue:
    normal = re.sub(r"[^a-z0-9]", "", key.lower())
    if any(part in normal for part in _SECRET_PARTS):
        return REMOVED
    if normal in _PERSONAL_KEYS and value is not None:
        return REDACTED
    return redact(value)
