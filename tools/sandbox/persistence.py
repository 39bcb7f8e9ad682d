"""`--state PATH`: keep the sandbox between runs without rewriting the seeded chain.

The file holds the seed parameters, the clock, the append-only event log, the counters, and an
overlay: every record created or changed since seeding (the records `State.touch` marked), in
full. Loading re-seeds from the parameters (deterministic) and lays the overlay on top. A save
writes a temporary file next to the target, flushes it to disk and `os.replace`s it over the
target, so a crash mid-write leaves the previous file intact. The file grows with the changes
made, not with the size of the chain.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from tools.sandbox.clock import format_ts, parse_ts
from tools.sandbox.errors import JSON
from tools.sandbox.events import ChangeEvent
from tools.sandbox.state import Reservation, SeedParams, State, row_from_json, row_to_json

__all__ = ["FORMAT", "Saved", "StateFile", "StateFileError", "apply_overlay"]

FORMAT = "mews-loyalty-sandbox-state"
VERSION = 1


class StateFileError(ValueError):
    """The state file cannot be read (corrupt, another format, another version)."""


@dataclass(frozen=True)
class Saved:
    params: SeedParams
    clock: JSON
    document: JSON


class StateFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def exists(self) -> bool:
        return self.path.exists()

    def save(self, state: State, clock: JSON) -> None:
        overlay: dict[str, JSON] = {}
        tables = {table.name: table for table in state.tables()}
        for name, key in sorted(state.dirty):
            row = tables[name].get(key)
            if row is not None:
                overlay.setdefault(name, {})[key] = row_to_json(row)
        document = {
            "Format": FORMAT,
            "Version": VERSION,
            "Seed": {
                "Seed": state.params.seed,
                "Customers": state.params.customers,
                "NowUtc": format_ts(state.params.now),
            },
            "Clock": clock,
            "Counters": state.counters,
            "Overlay": overlay,
            "Events": [event.to_json() for event in state.events.all()],
        }
        self._write_atomically(json.dumps(document, ensure_ascii=False, indent=1).encode())

    def _write_atomically(self, data: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            with open(temporary, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        finally:
            if temporary.exists():
                temporary.unlink()

    def load(self) -> Saved:
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise StateFileError(f"cannot read sandbox state file {self.path}: {exc}") from None
        if not isinstance(document, dict) or document.get("Format") != FORMAT:
            raise StateFileError(f"{self.path} is not a sandbox state file")
        if document.get("Version") != VERSION:
            raise StateFileError(
                f"{self.path} has state format version {document.get('Version')}, expected "
                f"{VERSION}; start fresh with --reset"
            )
        try:
            seed = document["Seed"]
            params = SeedParams(int(seed["Seed"]), int(seed["Customers"]), parse_ts(seed["NowUtc"]))
            clock = dict(document.get("Clock") or {})
        except (KeyError, TypeError, ValueError) as exc:
            raise StateFileError(f"{self.path} has an invalid seed section: {exc}") from None
        return Saved(params, clock, document)


def apply_overlay(state: State, document: JSON) -> None:
    """Lay the saved records over a freshly seeded state."""
    tables = {table.name: table for table in state.tables()}
    try:
        for name, rows in dict(document.get("Overlay") or {}).items():
            table = tables[name]
            for key, data in rows.items():
                row = row_from_json(table.cls, data)
                table.add(key, row)
                state.dirty.add((name, key))
                if isinstance(row, Reservation):
                    state.by_idx[row.idx] = row
        state.counters.update({k: int(v) for k, v in dict(document.get("Counters") or {}).items()})
        state.events.restore([ChangeEvent.from_json(e) for e in document.get("Events") or []])
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise StateFileError(f"the sandbox state file has an invalid overlay: {exc!r}") from None
    state.rebuild_indexes()
