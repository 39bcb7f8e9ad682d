"""`accounts/update`: update values for customers and companies, all or nothing.

The documented example sends company `Options` as `{"Value": "true"}` strings; those two options
accept `"true"`/`"false"` as well as booleans. Clearing a customer's `LastName` or a company's
`Name` (`{"Value": null}`) is 400.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tools.sandbox.clock import parse_date
from tools.sandbox.context import Ctx
from tools.sandbox.errors import JSON, forbidden, invalid
from tools.sandbox.ops._common import ts
from tools.sandbox.ops._registry import operation
from tools.sandbox.ops.customers import (
    CLASSIFICATIONS,
    OPTIONS,
    SEXES,
    TITLES,
    check_email,
    customer_events,
    ensure_email_free,
    find_customer,
)
from tools.sandbox.state import Company, Customer
from tools.sandbox.validation import KEEP, Keep, Obj
from tools.sandbox.world import CHAIN_ID

__all__ = ["COMPANY_CLASSIFICATIONS", "COMPANY_OPTIONS"]

COMPANY_CLASSIFICATIONS = (
    "Corporate",
    "Internal",
    "Private",
    "OnlineTravelAgency",
    "GlobalDistributionSystem",
    "Marketing",
    "Inactive",
)
COMPANY_OPTIONS = ("Invoiceable", "AddFeesToInvoices")
_COMPANY_TEXT = (
    "Email",
    "TaxIdentifier",
    "BillingCode",
    "AccountingCode",
    "Notes",
    "WebsiteUrl",
    "InvoiceDueInterval",
    "CreditRatingBasic",
    "Department",
    "DunsNumber",
    "ReferenceId",
    "ExternalIdentifier",
    "AdditionalTaxIdentifier",
    "Contact",
    "ContactPerson",
    "FiscalIdentifier",
    "Iata",
    "Telephone",
    "SourceId",
)
# wire name → (attribute or extra key, is attribute)
_CUSTOMER_TEXT = {
    "Email": ("email", True),
    "TaxIdentifier": ("TaxIdentificationNumber", False),
    "BillingCode": ("BillingCode", False),
    "AccountingCode": ("AccountingCode", False),
    "Notes": ("notes", True),
    "FirstName": ("first_name", True),
    "SecondLastName": ("SecondLastName", False),
    "BirthPlace": ("BirthPlace", False),
    "Telephone": ("phone", True),
    "Occupation": ("Occupation", False),
    "CarRegistrationNumber": ("CarRegistrationNumber", False),
    "LoyaltyCode": ("loyalty_code", True),
    "NationalityCode": ("nationality", True),
    "PreferredLanguageCode": ("PreferredLanguageCode", False),
}

Change = Callable[[], None]


def _flags(
    wrapper: Obj | None, names: tuple[str, ...], current: set[str], lenient: bool
) -> set[str] | Keep:
    if wrapper is None:
        return KEEP
    result = set(current)
    for name in names:
        value = wrapper.update_bool(name, lenient=lenient)
        if value is True:
            result.add(name)
        elif value is False:
            result.discard(name)
    return result


def _plan_customer(ctx: Ctx, customer: Customer, q: Obj, claimed: dict[str, str]) -> list[Change]:
    changes: list[Change] = []

    def set_field(name: str, value: Any, attribute: bool) -> None:
        if attribute:
            changes.append(lambda: setattr(customer, name, value))
        else:
            changes.append(
                lambda: setattr(customer, "extra", {**(customer.extra or {}), name: value})
            )

    for wire, (field_name, attribute) in _CUSTOMER_TEXT.items():
        value = q.update_str(wire, max_len=1000 if wire == "Notes" else 255)
        if value is KEEP:
            continue
        if wire == "Email" and value is not None:
            value = check_email(q.at("Email") + ".Value", value)
            ensure_email_free(ctx, value, customer)
            if claimed.setdefault(value.lower(), customer.id) != customer.id:
                raise forbidden(f"Two customers in one request cannot both get the email {value}.")
        set_field(field_name, value, attribute)
    last = q.update_str("LastName", nullable=False, max_len=255)
    if isinstance(last, str):
        set_field("last_name", last, True)
    for wire, name, allowed in (("Sex", "sex", SEXES), ("Title", "title", TITLES)):
        choice = q.update_enum(wire, allowed, nullable=True)
        if choice is not KEEP:
            set_field(name, choice, True)
    birth = q.update_date("BirthDate")
    if birth is not KEEP:
        set_field("birth_date", birth, True)
    company = q.update_guid("CompanyId")
    if isinstance(company, str) and ctx.state.companies.get(company) is None:
        raise invalid(q.at("CompanyId"), f"company {company} does not exist.")
    if company is not KEEP:
        set_field("company_id", company, True)
    for wire, allowed_flags, flag_attribute in (
        ("Options", OPTIONS, "options"),
        ("Classifications", CLASSIFICATIONS, "classifications"),
    ):
        current = set(getattr(customer, flag_attribute))
        updated = _flags(q.obj(wire), allowed_flags, current, lenient=False)
        if not isinstance(updated, Keep):
            set_field(flag_attribute, tuple(v for v in allowed_flags if v in updated), True)
    legal = q.obj("LegalEntityIdentifiers")
    if legal is not None:
        for wire, key in (
            ("ItDestinationCode", "ItalianDestinationCode"),
            ("ItFiscalCode", "ItalianFiscalCode"),
        ):
            value = legal.update_str(wire, max_len=255)
            if value is not KEEP:
                set_field(key, value, False)
    return changes


def _render_customer(c: Customer) -> JSON:
    extra = c.extra or {}
    birth = f"{parse_date(c.birth_date).isoformat()}T00:00:00Z" if c.birth_date else None
    return {
        "ChainId": CHAIN_ID,
        "CreatedUtc": ts(c.created),
        "UpdatedUtc": ts(c.updated),
        "UpdaterProfileId": extra.get("UpdaterProfileId"),
        "Email": c.email,
        "TaxIdentifier": extra.get("TaxIdentificationNumber"),
        "BillingCode": extra.get("BillingCode"),
        "AccountingCode": extra.get("AccountingCode"),
        "Notes": c.notes,
        "LastName": c.last_name,
        "FirstName": c.first_name,
        "SecondLastName": extra.get("SecondLastName"),
        "BirthPlace": extra.get("BirthPlace"),
        "Telephone": c.phone,
        "Occupation": extra.get("Occupation"),
        "CarRegistrationNumber": extra.get("CarRegistrationNumber"),
        "LoyaltyCode": c.loyalty_code,
        "NationalityCode": c.nationality,
        "CompanyId": c.company_id,
        "BirthDate": birth,
        "Sex": c.sex,
        "Title": c.title,
        "PreferredLanguageCode": extra.get("PreferredLanguageCode"),
        "Options": {name: name in c.options for name in OPTIONS if name != "None"},
        "Classifications": {name: name in c.classifications for name in CLASSIFICATIONS},
        "LegalEntityIdentifiers": {
            "ItDestinationCode": extra.get("ItalianDestinationCode"),
            "ItFiscalCode": extra.get("ItalianFiscalCode"),
        },
    }


def _plan_company(ctx: Ctx, company: Company, q: Obj) -> list[Change]:
    data = dict(company.data)
    for wire in _COMPANY_TEXT:
        value = q.update_str(wire, max_len=1000 if wire == "Notes" else 255)
        if value is not KEEP:
            data[wire] = value
    name = q.update_str("Name", nullable=False, max_len=255)
    if isinstance(name, str):
        data["Name"] = name
    mother = q.update_guid("MotherCompanyId")
    if isinstance(mother, str) and ctx.state.companies.get(mother) is None:
        raise invalid(q.at("MotherCompanyId"), f"company {mother} does not exist.")
    if mother is not KEEP:
        data["MotherCompanyId"] = mother
    for wire, names, lenient in (
        ("Classifications", COMPANY_CLASSIFICATIONS, False),
        ("Options", COMPANY_OPTIONS, True),
    ):
        current = {k for k, v in dict(data.get(wire) or {}).items() if v}
        flags = _flags(q.obj(wire), names, current, lenient=lenient)
        if not isinstance(flags, Keep):
            data[wire] = {n: n in flags for n in names}
    return [lambda: setattr(company, "data", data)]


def _render_company(company: Company) -> JSON:
    data = company.data
    body: JSON = {
        "ChainId": company.chain_id,
        "CreatedUtc": ts(company.created),
        "UpdatedUtc": ts(company.updated),
        "UpdaterProfileId": None,
    }
    for wire in (
        "Email",
        "TaxIdentifier",
        "BillingCode",
        "AccountingCode",
        "Notes",
        "Name",
        "MotherCompanyId",
        *_COMPANY_TEXT[5:],
    ):
        body[wire] = data.get(wire)
    body["Classifications"] = {
        n: bool((data.get("Classifications") or {}).get(n)) for n in COMPANY_CLASSIFICATIONS
    }
    body["Options"] = {n: bool((data.get("Options") or {}).get(n)) for n in COMPANY_OPTIONS}
    return body


@operation("accounts/update", writes=True)
def update(ctx: Ctx, q: Obj) -> JSON:
    ctx.write_chain(q)
    planned: list[tuple[str, Customer | Company, list[Change]]] = []
    claimed: dict[str, str] = {}
    for item in q.objs("AccountUpdates", required=True):
        account_id = item.req_guid("Id")
        kind = item.req_enum("Discriminator", ("Customer", "Company"))
        if kind == "Customer":
            customer = find_customer(ctx, account_id, item.at("Id"))
            planned.append(
                (kind, customer, _plan_customer(ctx, customer, item.req_obj("Customer"), claimed))
            )
        else:
            company = ctx.state.companies.get(account_id)
            if company is None or not company.active:
                raise invalid(item.at("Id"), f"company {account_id} does not exist.")
            planned.append((kind, company, _plan_company(ctx, company, item.req_obj("Company"))))
    accounts: list[JSON] = []
    for kind, account, changes in planned:
        if isinstance(account, Customer):
            ctx.state.unindex_email(account)
        for change in changes:
            change()
        account.updated = ctx.now
        if isinstance(account, Customer):
            ctx.state.index_email(account)
            ctx.state.touch(ctx.state.customers, account.id)
            customer_events(ctx, account, added=False)
            accounts.append(
                {
                    "Id": account.id,
                    "Discriminator": kind,
                    "Customer": _render_customer(account),
                    "Company": None,
                }
            )
        else:
            ctx.state.touch(ctx.state.companies, account.id)
            accounts.append(
                {
                    "Id": account.id,
                    "Discriminator": kind,
                    "Customer": None,
                    "Company": _render_company(account),
                }
            )
    return {"Accounts": accounts}
