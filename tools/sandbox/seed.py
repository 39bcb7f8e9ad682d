"""The seeded demo chain: a pure function of `SeedParams(seed, customers, now)`.

One chain with two enterprises (`tools.sandbox.world`), the records the documented examples
refer to (`tools.sandbox.seed_docs`), story members and awkward records with fixed ids
(`tools.sandbox.seed_story`, `STORY`), and a crowd of generated guests with three years of stays
before `now` and some upcoming ones (`tools.sandbox.seed_crowd`).

`customers` is the total number of customer profiles: at least the 19 fixed ones, at most
100,000. Stays average a little over two per guest (members stay more, by tier).
"""

from __future__ import annotations

from tools.sandbox.limits import CUSTOMERS_DEFAULT, CUSTOMERS_MAX, SEED_DEFAULT
from tools.sandbox.seed_builder import Builder, seed_key
from tools.sandbox.seed_crowd import SeedProgress, add_crowd
from tools.sandbox.seed_docs import add_doc_fixtures
from tools.sandbox.seed_story import STORY, Story, add_awkward, add_story
from tools.sandbox.state import SeedParams, State
from tools.sandbox.world import build_world

__all__ = [
    "CUSTOMERS_DEFAULT",
    "CUSTOMERS_MAX",
    "SEED_DEFAULT",
    "STORY",
    "SeedProgress",
    "Story",
    "build_state",
]


def build_state(params: SeedParams, progress: SeedProgress | None = None) -> State:
    """Seed the demo chain for `params` (deterministic: the same params give the same chain);
    `progress` hears how many guests are generated (a command line shows a bar)."""
    if not 0 <= params.customers <= CUSTOMERS_MAX:
        raise ValueError(f"customers must be between 0 and {CUSTOMERS_MAX}, got {params.customers}")
    state = State(params, build_world(), seed_key(params.seed))
    add_doc_fixtures(state)
    builder = Builder(state)
    add_story(builder)
    add_awkward(builder)
    add_crowd(builder, params.customers, progress)
    _finish(builder)
    return state


def _finish(builder: Builder) -> None:
    """Index reservations by creation order (their derived ids depend on it) and number them."""
    state = builder.state
    state.by_idx = sorted(state.reservations, key=lambda r: (r.created, r.id))
    for idx, reservation in enumerate(state.by_idx):
        reservation.idx = idx
        if not reservation.number:
            reservation.number = str(1000 + idx)
    state.counters["customer_number"] = builder.customer_number
    state.rebuild_indexes()
