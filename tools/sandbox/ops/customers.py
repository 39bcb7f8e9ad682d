"""`customers/getAll|search|add|update`.

Decisions: emails are compared case-insensitively; a duplicate email on `customers/add` with
`OverwriteExisting: false`, and an email already used by another active customer on
`customers/update`, are 403 (business rules shown to the property). With `OverwriteExisting:
true` the existing profile is updated and returned. On `customers/update` a plain field that is
absent, `null` or `""` is left intact; `Classifications`, `Options` and `Address` replace the
stored value when given. `customers/search` finds guests of checked-in (`Started`) reservations
of the token's enterprise.
"""

from __future__ import annotations

from tools.sandbox.context import Ctx
from tools.sandbox.errors import JSON, bad_request, forbidden, invalid
from tools.sandbox.ids import new_id
from tools.sandbox.ops._common import (
    activity_states,
    any_filter,
    in_interval,
    is_visible,
    page,
    ts,
)
from tools.sandbox.ops._registry import operation
from tools.sandbox.ops.reservations import render_reservation_2017
from tools.sandbox.state import Customer
from tools.sandbox.validation import Obj
from tools.sandbox.world import CHAIN_ID, ENTERPRISE_UK

__all__ = [
    "CLASSIFICATIONS",
    "OPTIONS",
    "check_email",
    "customer_events",
    "ensure_email_free",
    "find_customer",
    "render_customer",
]

CLASSIFICATIONS = (
    "PaymasterAccount",
    "Blacklist",
    "Media",
    "LoyaltyProgram",
    "PreviousComplaint",
    "Returning",
    "Staff",
    "FriendOrFamily",
    "TopManagement",
    "Important",
    "VeryImportant",
    "Problematic",
    "Cashlist",
    "DisabledPerson",
    "Military",
    "Airline",
    "HealthCompliant",
    "InRoom",
    "WaitingForRoom",
    "Student",
    "Blocklist",
)
OPTIONS = (
    "None",
    "SendMarketingEmails",
    "Invoiceable",
    "BillAddressObjection",
    "SendMarketingPostalMail",
    "SendPartnerMarketingEmails",
    "SendPartnerMarketingPostalMail",
    "WithdrawCardConsent",
    "GuestPhotoConsent",
    "IdPhotosConsent",
)
TITLES = ("Mister", "Miss", "Misses")
SEXES = ("Male", "Female")

_PLAIN_EXTRA = (
    "SecondLastName",
    "BirthPlace",
    "Occupation",
    "TaxIdentificationNumber",
    "CarRegistrationNumber",
    "DietaryRequirements",
    "BirthCountryCode",
)
_ADDRESS_KEYS = ("Line1", "Line2", "City", "PostalCode", "CountryCode", "CountrySubdivisionCode")


def render_customer(c: Customer) -> JSON:
    extra = c.extra or {}
    address = dict(c.address) if c.address else None
    body: JSON = {
        "Id": c.id,
        "ChainId": CHAIN_ID,
        "Number": c.number,
        "Title": c.title,
        "Sex": c.sex,
        "FirstName": c.first_name,
        "LastName": c.last_name,
        "SecondLastName": extra.get("SecondLastName"),
        "NationalityCode": c.nationality,
        "PreferredLanguageCode": extra.get("PreferredLanguageCode"),
        "LanguageCode": c.language,
        "BirthDate": c.birth_date,
        "BirthCountryCode": extra.get("BirthCountryCode"),
        "BirthCountrySubdivisionCode": extra.get("BirthCountrySubdivisionCode"),
        "BirthPlace": extra.get("BirthPlace"),
        "Occupation": extra.get("Occupation"),
        "Email": c.email,
        "HasOtaEmail": False,
        "Phone": c.phone,
        "TaxIdentificationNumber": extra.get("TaxIdentificationNumber"),
        "LoyaltyCode": c.loyalty_code,
        "AccountingCode": extra.get("AccountingCode"),
        "BillingCode": extra.get("BillingCode"),
        "Notes": c.notes,
        "CarRegistrationNumber": extra.get("CarRegistrationNumber"),
        "DietaryRequirements": extra.get("DietaryRequirements"),
        "CreatedUtc": ts(c.created),
        "UpdatedUtc": ts(c.updated),
        "Passport": None,
        "IdentityCard": None,
        "Visa": None,
        "DriversLicense": None,
        "Address": address,
        "AddressId": address["Id"] if address else None,
        "Classifications": list(c.classifications),
        "Options": list(c.options),
        "ItalianDestinationCode": extra.get("ItalianDestinationCode"),
        "ItalianFiscalCode": extra.get("ItalianFiscalCode"),
        "ItalianLotteryCode": extra.get("ItalianLotteryCode"),
        "CompanyId": c.company_id,
        "MergeTargetId": extra.get("MergeTargetId"),
        "ActivityState": "Active" if c.active else "Deleted",
        "IsActive": c.active,
        "PreferredSpaceFeatures": list(extra.get("PreferredSpaceFeatures", [])),
        "CreatorProfileId": extra.get("CreatorProfileId"),
        "UpdaterProfileId": extra.get("UpdaterProfileId"),
    }
    return body


def find_customer(ctx: Ctx, customer_id: str, parameter: str) -> Customer:
    customer = ctx.state.customers.get(customer_id)
    if customer is None:
        raise invalid(parameter, f"customer {customer_id} does not exist.")
    if not customer.active:
        raise invalid(parameter, f"customer {customer_id} is not active (deleted or merged).")
    return customer


def check_email(path: str, email: str) -> str:
    if "@" not in email or email.startswith("@") or email.endswith("@") or " " in email.strip():
        raise invalid(path, f"'{email}' is not an email address.")
    return email.strip()


def ensure_email_free(ctx: Ctx, email: str | None, owner: Customer | None) -> None:
    if not email:
        return
    holder = ctx.state.email_index.get(email.lower())
    if holder and (owner is None or holder != owner.id):
        raise forbidden(f"Another customer profile already uses the email address {email}.")


def customer_events(ctx: Ctx, customer: Customer, *, added: bool) -> None:
    enterprise = ENTERPRISE_UK if ctx.portfolio else ctx.integration.enterprise_id
    if added:
        ctx.state.events.record("CustomerAdded", customer.id, enterprise, ctx.now)
    ctx.state.events.record("CustomerUpdated", customer.id, enterprise, ctx.now)


@operation("customers/getAll", page_key="Customers")
def get_all(ctx: Ctx, q: Obj) -> JSON:
    extent = q.req_obj("Extent")
    show = extent.bool_("Customers")
    extent.bool_("Addresses")
    extent.bool_("Documents")
    chains = ctx.required_chains(q)
    any_filter(
        q,
        (
            "CustomerIds",
            "Emails",
            "FirstNames",
            "LastNames",
            "LoyaltyCodes",
            "CompanyIds",
            "CreatedUtc",
            "UpdatedUtc",
            "DeletedUtc",
        ),
        "customers/getAll",
    )
    created, updated = q.interval("CreatedUtc"), q.interval("UpdatedUtc")
    deleted = q.interval("DeletedUtc")
    states = activity_states(q)
    if deleted is not None and "Deleted" not in states:
        raise bad_request('DeletedUtc can only be used with ActivityStates ["Deleted"].')
    ids = q.guids("CustomerIds")
    companies = q.guids("CompanyIds", max_items=1)
    emails = q.strs("Emails")
    firsts, lasts, codes = q.strs("FirstNames"), q.strs("LastNames"), q.strs("LoyaltyCodes")
    email_set = {e.lower() for e in emails} if emails is not None else None
    candidates = (
        [c for c in (ctx.state.customers.get(i) for i in ids) if c is not None]
        if ids is not None
        else list(ctx.state.customers)
    )
    rows = [
        c
        for c in candidates
        if CHAIN_ID in chains
        and is_visible(c.active, states)
        and (companies is None or c.company_id in companies)
        and (email_set is None or (c.email is not None and c.email.lower() in email_set))
        and (firsts is None or c.first_name in firsts)
        and (lasts is None or c.last_name in lasts)
        and (codes is None or c.loyalty_code in codes)
        and in_interval(created, c.created)
        and in_interval(updated, c.updated)
        and in_interval(deleted, c.deleted)
    ]
    items, cursor = page(q, rows, ctx.state.customers.get)
    customers = [render_customer(c) for c in items] if show else []
    return {"Customers": customers, "Documents": None, "Cursor": cursor}


@operation("customers/search")
def search(ctx: Ctx, q: Obj) -> JSON:
    enterprise = ctx.single_enterprise()
    name = q.str_("Name")
    resource = q.guid("ResourceId")
    extent = q.obj("Extent")
    show = True if extent is None else extent.bool_("Customers") is not False
    needle = name.strip().lower() if name else None
    results: list[JSON] = []
    for reservation in ctx.state.by_idx:
        if reservation.state != "Started" or reservation.enterprise_id != enterprise:
            continue
        if resource is not None and reservation.resource_id != resource:
            continue
        customer = ctx.state.customers.get(reservation.account_id)
        if customer is None or not customer.active:
            continue
        if needle is not None:
            first = (customer.first_name or "").lower()
            last = customer.last_name.lower()
            names = (first, last, f"{first} {last}", f"{last} {first}")
            if not any(needle in candidate for candidate in names):
                continue
        results.append(
            {
                "Customer": render_customer(customer) if show else None,
                "Reservation": render_reservation_2017(ctx, reservation),
            }
        )
    return {"Customers": results, "Documents": None}


def _address(ctx: Ctx, q: Obj) -> JSON | None:
    value = q.obj("Address")
    if value is None:
        return None
    address: JSON = {"Id": new_id()}
    for key in _ADDRESS_KEYS:
        address[key] = value.str_(key, max_len=255)
    address["Latitude"], address["Longitude"] = None, None
    return address


def _read_profile(q: Obj) -> JSON:
    """The plain (non-wrapper) customer fields of add/update that are present and not blank."""
    values: JSON = {}
    for key in (
        "FirstName",
        "LastName",
        "Phone",
        "NationalityCode",
        "LanguageCode",
        "LoyaltyCode",
        "Notes",
        *_PLAIN_EXTRA,
    ):
        text = q.str_(key, max_len=1000 if key == "Notes" else 255)
        if text:
            values[key] = text
    for key, allowed in (("Title", TITLES), ("Sex", SEXES)):
        choice = q.enum(key, allowed)
        if choice:
            values[key] = choice
    email = q.str_("Email", max_len=255)
    if email:
        values["Email"] = check_email("Email", email)
    birth = q.date("BirthDate")
    if birth:
        values["BirthDate"] = birth
    classifications = q.enums("Classifications", CLASSIFICATIONS)
    if classifications is not None:
        values["Classifications"] = tuple(dict.fromkeys(classifications))
    options = q.enums("Options", OPTIONS)
    if options is not None:
        values["Options"] = tuple(o for o in dict.fromkeys(options) if o != "None")
    return values


def _apply_profile(customer: Customer, values: JSON) -> None:
    simple = {
        "FirstName": "first_name",
        "LastName": "last_name",
        "Phone": "phone",
        "NationalityCode": "nationality",
        "LanguageCode": "language",
        "LoyaltyCode": "loyalty_code",
        "Notes": "notes",
        "Title": "title",
        "Sex": "sex",
        "Email": "email",
        "BirthDate": "birth_date",
        "Classifications": "classifications",
        "Options": "options",
        "CompanyId": "company_id",
        "Address": "address",
    }
    for key, value in values.items():
        if key in simple:
            setattr(customer, simple[key], value)
        else:
            customer.extra = {**(customer.extra or {}), key: value}


def _company(ctx: Ctx, q: Obj) -> str | None:
    company_id = q.guid("CompanyId")
    if company_id is not None:
        company = ctx.state.companies.get(company_id)
        if company is None or not company.active:
            raise invalid("CompanyId", f"company {company_id} does not exist.")
    return company_id


_ITALIAN_CODES = ("ItalianDestinationCode", "ItalianFiscalCode", "ItalianLotteryCode")


def _read_company_and_address(ctx: Ctx, q: Obj, values: JSON) -> None:
    company = _company(ctx, q)
    if company is not None:
        values["CompanyId"] = company
    address = _address(ctx, q)
    if address is not None:
        values["Address"] = address


@operation("customers/add", writes=True)
def add(ctx: Ctx, q: Obj) -> JSON:
    ctx.write_chain(q)
    q.req_str("LastName", max_len=255)
    overwrite = q.bool_("OverwriteExisting", required=True)
    values = _read_profile(q)
    _read_company_and_address(ctx, q, values)
    for key in _ITALIAN_CODES:
        text = q.str_(key, max_len=255)
        if text:
            values[key] = text
    existing_id = ctx.state.email_index.get(str(values.get("Email", "")).lower())
    if existing_id:
        if not overwrite:
            raise forbidden(
                f"A customer with the email address {values['Email']} already exists. "
                "Send OverwriteExisting: true to update that profile instead."
            )
        customer = ctx.state.customers.rows[existing_id]
        _apply_profile(customer, values)
        customer.updated = ctx.now
        ctx.state.touch(ctx.state.customers, customer.id)
        customer_events(ctx, customer, added=False)
        return render_customer(customer)
    number = ctx.state.next_number("customer_number", 200000)
    customer = Customer(
        id=new_id(),
        number=str(number),
        last_name=str(values["LastName"]),
        created=ctx.now,
        updated=ctx.now,
    )
    _apply_profile(customer, values)
    ctx.state.customers.add(customer.id, customer)
    ctx.state.index_email(customer)
    ctx.state.touch(ctx.state.customers, customer.id)
    customer_events(ctx, customer, added=True)
    return render_customer(customer)


@operation("customers/update", writes=True)
def update(ctx: Ctx, q: Obj) -> JSON:
    ctx.write_chain(q)
    customer = find_customer(ctx, q.req_guid("CustomerId"), "CustomerId")
    values = _read_profile(q)
    _read_company_and_address(ctx, q, values)
    for key in _ITALIAN_CODES:
        value = q.update_str(key, max_len=255)
        if value is None or isinstance(value, str):
            values[key] = value
    ensure_email_free(ctx, values.get("Email"), customer)
    ctx.state.unindex_email(customer)
    _apply_profile(customer, values)
    ctx.state.index_email(customer)
    customer.updated = ctx.now
    ctx.state.touch(ctx.state.customers, customer.id)
    customer_events(ctx, customer, added=False)
    return render_customer(customer)
