"""The storage base shared by the policy layer and the loyalty engine.

Modules, imported by their own names (nothing is re-exported here: every user names the module
it needs): `store` (one SQLAlchemy database, serialized writes, versioned migrations per
component), `queue` (one leased work queue: claim, complete, retry with backoff, dead letter),
`outbox` (the queue of commands for Mews, over `queue`), `columns` (the row id and times,
and the kinds of value several tables hold: a Mews id, a principal, a digest, ..., each with its
SQL type declared once), `rows` (values built from result rows by column name, so a column
no field names is passed over), `clock` (injectable time), `canonical`
(one JSON spelling per value, for hashes and stored records), `progress` (counted steps of long
work, shown by the command line).
"""
