"""The storage base shared by the policy layer and the loyalty engine.

Modules: `store` (one SQLAlchemy database, serialized writes, versioned migrations per
component), `outbox` (the leased queue of commands for Mews), `clock` (injectable time),
`canonical` (one JSON spelling per value, for hashes and stored records).
"""

from storage.canonical import JSONObject, JSONValue, NotJSONError, canonical_json, to_jsonable
from storage.clock import Clock, FixedClock, SystemClock, utc
from storage.store import Component, Migration, Store, StoreError, default_database_url

__all__ = [
    "Clock",
    "Component",
    "FixedClock",
    "JSONObject",
    "JSONValue",
    "Migration",
    "NotJSONError",
    "Store",
    "StoreError",
    "SystemClock",
    "canonical_json",
    "default_database_url",
    "to_jsonable",
    "utc",
]
