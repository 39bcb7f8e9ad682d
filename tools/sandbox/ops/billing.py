"""`bills/getAll`, `payments/getAll` and `accountingCategories/getAll`.

Seeded bills and payments are derived from reservations: checked-in stays have an open bill,
checked-out stays a closed bill and one payment covering it. Bill items are not on the bill (as
in Mews): use `orderItems/getAll` / `payments/getAll` with `BillIds`. The deprecated bills filter
`ClosedUtc` is read as `IssuedUtc`; the deprecated `Extent` is ignored.
"""

from __future__ import annotations

from collections.abc import Iterable

from tools.sandbox.context import Ctx
from tools.sandbox.derive import derived_bill, derived_payment, find_bill, find_payment
from tools.sandbox.errors import JSON
from tools.sandbox.ops._common import (
    amount_json,
    any_filter,
    in_filter,
    in_interval,
    page,
    ts,
    world_rows,
)
from tools.sandbox.ops._registry import operation
from tools.sandbox.ops.order_items import ACCOUNTING_STATES, CURRENCIES, reservations_in_window
from tools.sandbox.state import Bill, Payment, Reservation
from tools.sandbox.validation import Obj

__all__ = ["PAYMENT_STATES", "PAYMENT_TYPES"]

PAYMENT_STATES = ("Charged", "Canceled", "Pending", "Failed", "Verifying")
PAYMENT_TYPES = (
    "Payment",
    "CreditCardPayment",
    "AlternativePayment",
    "CashPayment",
    "InvoicePayment",
    "ExternalPayment",
    "GhostPayment",
    "SurchargeFee",
)


def _by_accounts(ctx: Ctx, accounts: Iterable[str]) -> list[Reservation]:
    state = ctx.state
    return [state.by_idx[i] for account in accounts for i in state.res_by_account.get(account, ())]


def _customer_data(ctx: Ctx, account_id: str) -> JSON:
    customer = ctx.state.customers.get(account_id)
    return {
        "Discriminator": "BillCustomerData",
        "Value": {
            "Id": account_id,
            "Address": None,
            "LegalIdentifiers": {},
            "BillingCode": None,
            "LastName": customer.last_name if customer else None,
            "FirstName": customer.first_name if customer else None,
            "SecondLastName": None,
            "TitlePrefix": None,
            "Email": customer.email if customer else None,
        },
    }


def render_bill(ctx: Ctx, bill: Bill) -> JSON:
    enterprise = ctx.world.enterprises[bill.enterprise_id]
    owner = _customer_data(ctx, bill.account_id)
    return {
        "Id": bill.id,
        "Name": bill.name,
        "EnterpriseId": bill.enterprise_id,
        "AccountId": bill.account_id,
        "AccountType": bill.account_type,
        "CustomerId": bill.account_id,
        "CompanyId": None,
        "AssociatedAccountIds": list(bill.associated_account_ids),
        "CounterId": None,
        "State": bill.state,
        "Type": bill.type,
        "Number": bill.number,
        "VariableSymbol": None,
        "CreatedUtc": ts(bill.created),
        "IssuedUtc": ts(bill.issued),
        "TaxedUtc": ts(bill.issued),
        "PaidUtc": ts(bill.paid),
        "DueUtc": ts(bill.due),
        "LastReminderDateUtc": None,
        "UpdatedUtc": ts(bill.updated),
        "PurchaseOrderNumber": None,
        "Notes": bill.notes,
        "Options": {
            "DisplayCustomer": True,
            "DisplayTaxation": True,
            "TrackReceivable": True,
            "DisplayCid": False,
            "Rebated": False,
        },
        "Revenue": [],
        "Payments": [],
        "OrderItems": [],
        "PaymentItems": [],
        "AssigneeData": None,
        "OwnerData": owner,
        "CompanyDetails": None,
        "AssociatedAccountData": [
            {
                "Discriminator": "BillCustomerData",
                "BillCustomerData": owner["Value"],
                "BillCompanyData": None,
            }
        ],
        "EnterpriseData": {
            "AdditionalTaxIdentifier": None,
            "CompanyName": enterprise.company_name,
            "BankAccount": "12345678",
            "BankName": "Example Bank",
            "Iban": "GB33BUKB20201555555555",
            "Bic": "BUKBGB22",
        },
        "CorrectionState": "Bill",
        "CorrectionType": None,
        "CorrectedBillId": None,
    }


@operation("bills/getAll", page_key="Bills")
def bills_get_all(ctx: Ctx, q: Obj) -> JSON:
    keys = ("IssuedUtc", "PaidUtc", "DueUtc", "CreatedUtc", "UpdatedUtc", "ClosedUtc")
    any_filter(q, ("BillIds", "CustomerIds", *keys), "bills/getAll")
    enterprises = ctx.enterprises(q)
    times = {key: q.interval(key) for key in keys}
    ids, customers = q.guids("BillIds"), q.guids("CustomerIds")
    state_filter = q.enum("State", ("Open", "Closed"))
    kind = q.enum("Type", ("Receipt", "Invoice"))
    correction = q.enum("CorrectionState", ("Bill", "CorrectiveBill"))
    if ids is not None:
        candidates = [b for b in (find_bill(ctx.state, i) for i in ids) if b is not None]
    else:
        reservations = (
            _by_accounts(ctx, customers)
            if customers is not None
            else reservations_in_window(ctx.state, times.values())
        )
        derived = (derived_bill(ctx.state, r) for r in reservations)
        candidates = [b for b in derived if b is not None] + list(ctx.state.bills)
    rows = [
        b
        for b in candidates
        if b.enterprise_id in enterprises
        and in_filter(customers, b.account_id)
        and in_filter(None if state_filter is None else [state_filter], b.state)
        and in_filter(None if kind is None else [kind], b.type)
        and correction in (None, "Bill")
        and in_interval(times["IssuedUtc"], b.issued)
        and in_interval(times["ClosedUtc"], b.issued)
        and in_interval(times["PaidUtc"], b.paid)
        and in_interval(times["DueUtc"], b.due)
        and in_interval(times["CreatedUtc"], b.created)
        and in_interval(times["UpdatedUtc"], b.updated)
    ]

    items, cursor = page(q, rows, lambda cursor: find_bill(ctx.state, cursor))
    return {"Bills": [render_bill(ctx, b) for b in items], "Cursor": cursor}


def render_payment(ctx: Ctx, p: Payment, currency: str | None) -> JSON:
    del ctx
    card = p.type == "CreditCardPayment"
    return {
        "Id": p.id,
        "EnterpriseId": p.enterprise_id,
        "AccountId": p.account_id,
        "AccountType": "Customer",
        "PaymentRequestId": None,
        "BillId": p.bill_id,
        "ReservationId": p.reservation_id,
        "AccountingCategoryId": p.accounting_category_id,
        "Amount": amount_json(p.amount, 1, True, None, p.currency, currency),
        "OriginalAmount": amount_json(p.amount, 1, True, None, p.currency, None),
        "Notes": None,
        "SettlementId": None,
        "ConsumedUtc": ts(p.charged),
        "ClosedUtc": ts(p.closed),
        "ChargedUtc": ts(p.charged),
        "CreatedUtc": ts(p.created),
        "UpdatedUtc": ts(p.updated),
        "SettlementUtc": None,
        "AccountingState": p.accounting_state,
        "State": p.state,
        "Identifier": f"ch_{p.id}" if card else "",
        "Type": p.type,
        "Kind": "Payment",
        "Data": (
            {
                "Discriminator": "CreditCard",
                "CreditCard": {"CreditCardId": None, "Transaction": None},
                "Invoice": None,
                "External": None,
                "Ghost": None,
                "Alternative": None,
            }
            if card
            else None
        ),
        "PaymentOrigin": "Terminal" if card else "PointOfSales",
    }


@operation("payments/getAll", page_key="Payments")
def payments_get_all(ctx: Ctx, q: Obj) -> JSON:
    keys = ("CreatedUtc", "UpdatedUtc", "ChargedUtc", "ClosedUtc", "SettlementUtc")
    any_filter(
        q, ("PaymentIds", "AccountIds", "BillIds", "ReservationIds", *keys), "payments/getAll"
    )
    enterprises = ctx.enterprises(q)
    times = {key: q.interval(key) for key in keys}
    ids, accounts = q.guids("PaymentIds"), q.guids("AccountIds", max_items=100)
    bills, reservation_ids = q.guids("BillIds"), q.guids("ReservationIds")
    currency = q.enum("Currency", CURRENCIES)
    accounting = q.enums("AccountingStates", ACCOUNTING_STATES)
    states = q.enums("States", PAYMENT_STATES)
    kind = q.enum("Type", PAYMENT_TYPES)
    state, now = ctx.state, ctx.now
    if ids is not None:
        candidates = [p for p in (find_payment(state, i, now) for i in ids) if p is not None]
    else:
        if reservation_ids is not None:
            found = (state.reservations.get(i) for i in reservation_ids)
            reservations = [r for r in found if r is not None]
        elif accounts is not None:
            reservations = _by_accounts(ctx, accounts)
        else:
            reservations = reservations_in_window(state, times.values())
        derived = (derived_payment(state, r, now) for r in reservations)
        candidates = [p for p in derived if p is not None]
    rows = [
        p
        for p in candidates
        if p.enterprise_id in enterprises
        and in_filter(accounts, p.account_id)
        and in_filter(bills, p.bill_id)
        and in_filter(reservation_ids, p.reservation_id)
        and in_filter(accounting, p.accounting_state)
        and in_filter(states, p.state)
        and kind in (None, "Payment", p.type)
        and in_interval(times["CreatedUtc"], p.created)
        and in_interval(times["UpdatedUtc"], p.updated)
        and in_interval(times["ChargedUtc"], p.charged)
        and in_interval(times["ClosedUtc"], p.closed)
        and in_interval(times["SettlementUtc"], None)
    ]

    items, cursor = page(q, rows, lambda cursor: find_payment(state, cursor, now))
    return {"Payments": [render_payment(ctx, p, currency) for p in items], "Cursor": cursor}


@operation("accountingCategories/getAll", page_key="AccountingCategories")
def accounting_categories_get_all(ctx: Ctx, q: Obj) -> JSON:
    categories = ctx.world.accounting_categories
    rows = world_rows(ctx, q, categories, "AccountingCategoryIds", states=True)
    items, cursor = page(q, rows, categories.get)
    return {
        "AccountingCategories": [
            {
                "Classification": c.classification,
                "EnterpriseId": c.enterprise_id,
                "Code": c.code,
                "CostCenterCode": c.cost_center_code,
                "ExternalCode": c.external_code,
                "Id": c.id,
                "IsActive": True,
                "LedgerAccountCode": c.ledger_account_code,
                "Name": c.name,
                "PostingAccountCode": c.posting_account_code,
                "CreatedUtc": ts(c.created),
                "UpdatedUtc": ts(c.updated),
            }
            for c in items
        ],
        "Cursor": cursor,
    }
