"""Reservation state changes the sandbox simulates (admin `reservations/transition`).

- `Started` (check-in) from `Confirmed`: `ActualStartUtc` = now, a room is assigned if none.
- `Processed` (check-out) from `Started`: `ActualEndUtc` = now; the stay's derived items close at
  check-out, and so do items posted with `orders/add` to the stay (`LinkedReservationId`) and
  their product service orders.
- `Canceled` from `Confirmed`, `Optional`, `Inquired` or `Requested`: `CancelledUtc` = now.

Any other move is 400. Each change bumps `UpdatedUtc` and records `ServiceOrderUpdated`.
"""

from __future__ import annotations

from tools.sandbox.errors import bad_request, invalid
from tools.sandbox.state import Reservation, State

__all__ = ["ALLOWED", "transition_reservation"]

ALLOWED: dict[str, tuple[str, ...]] = {
    "Started": ("Confirmed",),
    "Processed": ("Started",),
    "Canceled": ("Confirmed", "Optional", "Inquired", "Requested"),
}


def transition_reservation(state: State, reservation_id: str, target: str, now: int) -> Reservation:
    reservation = state.reservations.get(reservation_id)
    if reservation is None:
        raise invalid("ReservationId", f"reservation {reservation_id} does not exist.")
    if target not in ALLOWED:
        raise bad_request(f"State must be one of {', '.join(ALLOWED)}; got '{target}'.")
    if reservation.state not in ALLOWED[target]:
        raise bad_request(
            f"Reservation {reservation.number} is {reservation.state}; it cannot become {target} "
            f"(allowed from: {', '.join(ALLOWED[target])})."
        )
    if target == "Started":
        reservation.actual_start = now
        if reservation.resource_id is None:
            rooms = state.world.resource_categories[reservation.category_id].rooms
            reservation.resource_id = rooms[reservation.idx % len(rooms)]
    elif target == "Processed":
        reservation.actual_end = max(now, reservation.actual_start or now)
        _close_posted_orders(state, reservation, now)
    else:
        reservation.cancelled = now
        reservation.cancellation_reason = "RequestedByGuest"
    reservation.state = target
    reservation.updated = now
    reservation.refresh_window()
    state.touch(state.reservations, reservation.id)
    state.events.record("ServiceOrderUpdated", reservation.id, reservation.enterprise_id, now)
    return reservation


def _close_posted_orders(state: State, reservation: Reservation, now: int) -> None:
    for item in state.items:
        linked = (
            item.linked_reservation_id == reservation.id or item.service_order_id == reservation.id
        )
        if linked and item.state == "Open":
            item.state, item.closed, item.updated = "Closed", now, now
            state.touch(state.items, item.id)
    for order in state.product_orders:
        if order.linked_reservation_id == reservation.id and order.state != "Canceled":
            order.state, order.updated = "Processed", now
            state.touch(state.product_orders, order.id)
