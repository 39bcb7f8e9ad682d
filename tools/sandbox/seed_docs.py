"""Records every documented example refers to, so the docs' examples work verbatim.

Each id a documented request names (`shared/mews/examples/*.json`) exists here, with the
documented values where they matter and timestamps inside the example's filters, so that the
documented reads return data. Two cannot: `payments/getAll` filters on a `SettlementUtc` no
payment has, and `resourceCategories/getAll` asks for the services of another property.

Decisions on documented-example conflicts:

- "Platinum Club" (`PC01`, `f701dafb-…`) and "Gold Exclusive Club" (`GEC07`, `da34b396-…`) are the
  demo chain's two programs; Silver (`3cad97ef-…`) and Platinum (`69eedfd2-…`) are two of PC01's
  four tiers. `Ordering`: higher = higher tier (Bronze 1 … Platinum 4); the docs' example shows
  Platinum 1 and Silver 2, and one of the two had to give.
- Membership `905a4489-…` (John Smith in PC01, 22 points, Platinum) is `Enrolled`, so the getAll
  example's `MembershipStates: ["Pending", "Enrolled"]` finds it (the docs' `New` is an artefact).
- Thea Carbone (`99b4f0af-…`) is seeded with another email than the add/update examples use, so
  `customers/add` (`OverwriteExisting: false`) and `customers/update` both succeed verbatim.
- The cursor `e7f26210-…` of three examples names a seeded bill, message thread and account note.
- `accountNotes/add` targets account `8ddea57b-…` (another example's chain id): a seeded customer.
"""

from __future__ import annotations

from tools.sandbox.clock import parse_ts
from tools.sandbox.factory import make_note, make_reservation
from tools.sandbox.ids import fixed_id
from tools.sandbox.state import (
    BREAKFAST,
    RESTAURANT,
    Bill,
    Company,
    Customer,
    LoyaltyMembership,
    LoyaltyProgram,
    LoyaltyTier,
    Message,
    MessageThread,
    ProductServiceOrder,
    ServiceOrderNote,
    State,
    Task,
)
from tools.sandbox.tokens import DEMO_TOKENS
from tools.sandbox.world import CHAIN_ID, ENTERPRISE_UK, rows

__all__ = ["DOCS", "add_doc_fixtures"]


class DOCS:
    """Ids from the documented examples that the seed provides."""

    PROGRAM_PC01 = "f701dafb-5765-4cf4-b1dd-1f602a740ae5"
    PROGRAM_GEC07 = "da34b396-41f7-47f6-8847-aecf00a3f19e"
    TIER_SILVER = "3cad97ef-5257-4ced-8599-8e6bbd33331f"
    TIER_PLATINUM = "69eedfd2-6f25-42fc-b3c8-39df70f85e37"
    TIER_BRONZE = fixed_id("tier/PC01/B1")
    TIER_GOLD = fixed_id("tier/PC01/G1")
    MEMBERSHIP_JOHN = "905a4489-0960-4ac9-96ec-793f47365c92"
    MEMBERSHIP_JANE = "ac48674e-58a2-43d6-a02b-9ead0b213b17"
    JOHN_SMITH = "fadd5bb6-b428-45d5-94f8-fd0d89fece6d"
    JANE_DOE = "bccdafd1-3e44-439d-861f-341526b597a9"
    THEA_CARBONE = "99b4f0af-9558-463b-8452-07a9bc414708"
    RICHARD_ROE = "8ddea57b-6a5c-4eec-8c4c-24467dce118e"
    ALEX_SAMPLE = "71db411f-c1d6-4e1c-9cd7-44e8bf45f936"
    MARY_MAJOR = "fe795f96-0b64-445b-89ed-c032563f2bac"
    ERIKA_MUSTERMANN = "a6738390-c241-45b7-8e46-14f47207abe5"
    MAX_MUSTERMANN = "435d4d5f-d14f-48dc-a47e-0481fc28ead0"
    COMPANY_ACME = "c6f5c82d-621a-4c8a-903b-1b0a9a23b71f"
    COMPANY_QUOTIDIANO = "f3b4f0af-9558-463b-8452-07a9bc414708"
    RESERVATION_APRIL = "0f515589-99b4-423d-b83a-b237009f0509"
    RESERVATION_TASKS = "8d70f718-e19c-458d-8ddb-ab1b009b5487"
    BILL_OPEN = "ea087d64-3901-4eee-b0b7-9fce4c58a005"
    CURSOR = "e7f26210-10e7-462e-9da8-ae8300be8ab7"
    THREAD = "7f9325f6-ef44-4911-89a8-ae51010a5aa4"
    MESSAGE = "4bfe4675-98a9-4428-9ea9-ae5300dbaa93"
    NOTE_CHAMPAGNE = "a58ff7cb-77e3-495a-bd61-aecf00a3f19d"


def _t(text: str) -> int:
    return parse_ts(text if "T" in text else f"{text}T00:00:00Z")


def add_doc_fixtures(state: State) -> None:
    _companies(state)
    _customers(state)
    _loyalty(state)
    _notes(state)
    _reservations(state)
    _finance(state)
    _operations(state)


_COMPANIES = """
c6f5c82d-621a-4c8a-903b-1b0a9a23b71f | Acme, Inc.                | billing@acme.example         | 2017-01-10
3ff104e6-3ba8-4dfc-8d35-b0ec00c5fd4c | Example company           | info@company.example         | 2024-01-03
839e9d92-aa8b-48bf-8384-b0ec0081bb34 | Example Holding           | holding@company.example      | 2023-11-02
f3b4f0af-9558-463b-8452-07a9bc414708 | Quotidiano Example S.p.A. | redazione@quotidiano.example | 2024-09-01
"""  # noqa: E501


def _companies(state: State) -> None:
    for company_id, name, email, created in rows(_COMPANIES):
        data = {"Name": name, "Email": email, "Classifications": {}, "Options": {}}
        company = Company(company_id, CHAIN_ID, data, _t(created), _t(created))
        state.companies.add(company_id, company)


_JOHN_ADDRESS = {
    "Id": "f8495413-bf49-45dd-843c-44be7f365569",
    "Line1": "Somerford Road Hello House/135",
    "Line2": None,
    "City": "Christchurch",
    "PostalCode": "BH23 3PY",
    "CountryCode": "GB",
    "CountrySubdivisionCode": "GB-ENG",
    "Latitude": None,
    "Longitude": None,
}
_JOHN_EXTRA = {
    "SecondLastName": "Williams",
    "PreferredLanguageCode": "en-GB",
    "BirthPlace": "New York City, NY",
    "Occupation": "Carpenter",
    "TaxIdentificationNumber": "123456789",
    "AccountingCode": "AC123",
    "CarRegistrationNumber": "1A2 3456",
    "PreferredSpaceFeatures": ["OceanView"],
}
_THEA_EXTRA = {
    "BirthPlace": "Pescara (BI)",
    "Occupation": "Giornalista",
    "CarRegistrationNumber": "AA 111AA",
    "TaxIdentificationNumber": "ZGNZLR17U72P554F",
    "PreferredSpaceFeatures": ["LowerBed"],
}
_PLAIN_CUSTOMERS = """
bccdafd1-3e44-439d-861f-341526b597a9 | Jane    | Doe        | jane.doe@example.com        | 2019-05-02
8ddea57b-6a5c-4eec-8c4c-24467dce118e | Richard | Roe        | richard.roe@example.com     | 2021-02-11
71db411f-c1d6-4e1c-9cd7-44e8bf45f936 | Alex    | Sample     | alex.sample@example.com     | 2024-01-03
fe795f96-0b64-445b-89ed-c032563f2bac | Mary    | Major      | mary.major@example.com      | 2019-06-20
a6738390-c241-45b7-8e46-14f47207abe5 | Erika   | Mustermann | erika.mustermann@example.de | 2019-11-30
435d4d5f-d14f-48dc-a47e-0481fc28ead0 | Max     | Mustermann | max.mustermann@example.de   | 2020-03-14
"""  # noqa: E501


def _customers(state: State) -> None:
    john = Customer(
        id=DOCS.JOHN_SMITH, last_name="Smith", first_name="John", number="12345", title="Mister",
        sex="Male", nationality="US", language="en-US", birth_date="1983-12-31",
        email="j.smith@example.com", phone="00420123456789", loyalty_code="LL810213", notes="",
        classifications=("Returning",), options=("SendMarketingEmails",),
        company_id=DOCS.COMPANY_ACME, created=_t("2018-01-01"), updated=_t("2018-01-02"),
        address=dict(_JOHN_ADDRESS), extra=dict(_JOHN_EXTRA),
    )  # fmt: skip
    thea = Customer(
        id=DOCS.THEA_CARBONE, last_name="Carbone", first_name="Thea", number="390881", title="Miss",
        birth_date="1985-09-30", email="thea.carbone@quotidiano.example",
        phone="+39 06 555 5555", notes="Check-in notturno.",
        classifications=("Media", "FriendOrFamily"), company_id=DOCS.COMPANY_QUOTIDIANO,
        nationality="IT", language="it-IT", created=_t("2024-09-17T12:22:33Z"),
        updated=_t("2024-10-12T09:45:00Z"), extra=dict(_THEA_EXTRA),
    )  # fmt: skip
    for customer in (john, thea):
        state.customers.add(customer.id, customer)
    for number, (customer_id, first, last, email, created) in enumerate(rows(_PLAIN_CUSTOMERS)):
        customer = Customer(
            id=customer_id, last_name=last, first_name=first, email=email,
            number=str(12346 + number), created=_t(created), updated=_t(created), language="en-US",
        )  # fmt: skip
        state.customers.add(customer_id, customer)


_PROGRAMS = """
f701dafb-5765-4cf4-b1dd-1f602a740ae5 | Platinum Club       | PC01  | Hotel           | Free | 2022-10-07T09:00:00Z | 2022-10-12T09:00:00Z
da34b396-41f7-47f6-8847-aecf00a3f19e | Gold Exclusive Club | GEC07 | ExternalPartner | Paid | 2022-10-06T09:00:00Z | 2022-10-11T09:00:00Z
"""  # noqa: E501
_TIERS = """
Bronze   | B1 | 1 | 2022-10-12T10:00:00Z | 2022-10-12T10:00:00Z
Silver   | S1 | 2 | 2022-10-12T10:01:00Z | 2022-10-13T10:00:00Z
Gold     | G1 | 3 | 2022-10-12T10:02:00Z | 2022-10-12T10:02:00Z
Platinum | P1 | 4 | 2022-10-12T10:03:00Z | 2022-10-14T10:00:00Z
"""


def _loyalty(state: State) -> None:
    for program_id, name, code, kind, subscription, created, updated in rows(_PROGRAMS):
        program = LoyaltyProgram(
            program_id,
            CHAIN_ID,
            name,
            code,
            kind,
            subscription,
            created=_t(created),
            updated=_t(updated),
        )
        state.programs.add(program_id, program)
    tier_ids = (DOCS.TIER_BRONZE, DOCS.TIER_SILVER, DOCS.TIER_GOLD, DOCS.TIER_PLATINUM)
    for tier_id, (name, code, ordering, created, updated) in zip(
        tier_ids, rows(_TIERS), strict=True
    ):
        tier = LoyaltyTier(tier_id, CHAIN_ID, DOCS.PROGRAM_PC01, name, code, int(ordering),
                           created=_t(created), updated=_t(updated))  # fmt: skip
        state.tiers.add(tier_id, tier)
    john = LoyaltyMembership(
        id=DOCS.MEMBERSHIP_JOHN, chain_id=CHAIN_ID, account_id=DOCS.JOHN_SMITH,
        program_id=DOCS.PROGRAM_PC01, state="Enrolled",
        is_primary=True, points=22, membership_number="MBR-2025-AX49ZT73",
        provider_membership_id="PRV-MBR-9842XKLT", expiration_date="2029-11-04T13:00:00Z",
        url="https://rewards.example.com/member/PRV-MBR-9842XKLT", tier_id=DOCS.TIER_PLATINUM,
        created=_t("2022-10-16T10:00:00Z"), updated=_t("2022-10-17T10:00:00Z"),
    )  # fmt: skip
    jane = LoyaltyMembership(
        id=DOCS.MEMBERSHIP_JANE, chain_id=CHAIN_ID, account_id=DOCS.JANE_DOE,
        program_id=DOCS.PROGRAM_GEC07, state="Pending",
        is_primary=True, points=0, membership_number="GEC-2022-000417",
        created=_t("2022-10-15T12:00:00Z"), updated=_t("2022-10-18T12:00:00Z"),
    )  # fmt: skip
    for membership in (john, jane):
        state.memberships.add(membership.id, membership)


_NOTES = """
a58ff7cb-77e3-495a-bd61-aecf00a3f19d | 8ddea57b-6a5c-4eec-8c4c-24467dce118e | Gifts           | 2022-10-20T10:00:00Z | 2022-10-21T10:00:00Z | Customer receives a free bottle of champagne during stay
da34b396-41f7-47f6-8847-aecf00a3f19e | bccdafd1-3e44-439d-861f-341526b597a9 | FoodAndBeverage | 2022-10-19T10:00:00Z | 2022-10-19T10:00:00Z | Lactose intolerant
e7f26210-10e7-462e-9da8-ae8300be8ab7 | fadd5bb6-b428-45d5-94f8-fd0d89fece6d | FrontOffice     | 2022-10-25T10:00:00Z | 2022-10-25T10:00:00Z | Prefers a room on a high floor.
3ed9e2f3-4bba-4df6-8d41-ab1b009b6425 | a6738390-c241-45b7-8e46-14f47207abe5 | General         | 2022-10-11T09:00:00Z | 2022-10-12T09:00:00Z | Travels with a small dog.
8a98965a-7c03-48a1-a28c-ab1b009b53c8 | 435d4d5f-d14f-48dc-a47e-0481fc28ead0 | Housekeeping    | 2022-10-11T08:00:00Z | 2022-10-13T08:00:00Z | Allergic to feather pillows.
"""  # noqa: E501


def _notes(state: State) -> None:
    for note_id, account, classification, created, updated, content in rows(_NOTES):
        note = make_note(note_id, account, content, classification, created=_t(created),
                         updated=_t(updated))  # fmt: skip
        state.account_notes.add(note_id, note)


# id | account | day | nights | created | flags (B = breakfast, R = restaurant)
_STAYS = """
b7a3f5cb-1e69-4a5f-a069-10f461996d7f | fadd5bb6-b428-45d5-94f8-fd0d89fece6d | 2023-01-10 | 3 | 2022-12-20 | BR
c73cf884-ae2b-4fba-858c-ab1400b4c8c3 | 8ddea57b-6a5c-4eec-8c4c-24467dce118e | 2024-03-04 | 2 | 2024-02-01 |
8d70f718-e19c-458d-8ddb-ab1b009b5487 | a6738390-c241-45b7-8e46-14f47207abe5 | 2019-12-08 | 2 | 2019-11-20 |
1dc0c6bf-2ce6-4a9f-af97-af5c01676720 | fe795f96-0b64-445b-89ed-c032563f2bac | 2022-11-29 | 2 | 2022-11-01 | R
"""  # noqa: E501
_APRIL_EXTRA = {
    "GroupId": "94843f6f-3be3-481b-a1c7-06458774c3df",
    "BookerId": "ebd507c5-6bfd-4ca9-96aa-ffed6fa94f72",
    "AvailabilityBlockId": "5ee074b1-6c86-48e8-915f-c7aa4702086f",
    "PartnerCompanyId": "c021013e-4930-4592-8e32-91b0b1fc9663",
    "TravelAgencyId": "a793d381-65a2-4fa6-9514-00c4c5bfe607",
    "ChannelNumber": "TW48ZP",
    "ChannelManagerNumber": "",
}


def _reservations(state: State) -> None:
    now, world = state.params.now, state.world
    april = make_reservation(
        world, DOCS.RESERVATION_APRIL, enterprise_id=ENTERPRISE_UK, account_id=DOCS.JOHN_SMITH,
        day=_t("2023-04-23"), nights=2, state="Confirmed", created=_t("2023-04-03T16:00:00Z"),
        now=now, adults=2, children=2, origin="Connector", extra=dict(_APRIL_EXTRA),
    )  # fmt: skip
    april.number = "52"
    april.resource_id = "5ee074b1-6c86-48e8-915f-c7aa4702086f"
    april.updated = _t("2023-04-22T17:00:00Z")
    april.refresh_window()
    state.reservations.add(april.id, april)
    for reservation_id, account, day, nights, created, flags in rows(_STAYS):
        bits = (BREAKFAST if "B" in flags else 0) | (RESTAURANT if "R" in flags else 0)
        reservation = make_reservation(
            world, reservation_id, enterprise_id=ENTERPRISE_UK, account_id=account, day=_t(day),
            nights=int(nights), state="Processed", created=_t(created), now=now, flags=bits,
            adults=2,
        )  # fmt: skip
        state.reservations.add(reservation_id, reservation)


_BILLS = """
ea087d64-3901-4eee-b0b7-9fce4c58a005 | fadd5bb6-b428-45d5-94f8-fd0d89fece6d | Accommodation Charges |           | Open   | Invoice | 2023-01-31T10:48:06Z |                      | 2023-01-31T10:58:06Z
e654f217-d1b5-46be-a820-e93ba568dfac | fe795f96-0b64-445b-89ed-c032563f2bac | Spa and restaurant    | 2020-0042 | Closed | Receipt | 2020-02-06T09:00:00Z | 2020-02-06T10:00:00Z | 2020-02-07T10:00:00Z
e7f26210-10e7-462e-9da8-ae8300be8ab7 | fe795f96-0b64-445b-89ed-c032563f2bac | Minibar               | 2020-0043 | Closed | Receipt | 2020-02-09T09:00:00Z | 2020-02-09T10:00:00Z | 2020-02-09T10:00:00Z
"""  # noqa: E501
_PRODUCT_ORDERS = """
9e6d4492-315b-4089-b9d6-5b1bd2eddc1b | 2023-04-10T14:58:02Z | 2023-04-23T14:58:02Z
819e3435-7d5e-441f-bc68-76d89c69b8f5 | 2023-04-20T09:00:00Z | 2023-04-21T09:00:00Z
"""


def _finance(state: State) -> None:
    for bill_id, account, name, number, status, kind, created, issued, updated in rows(_BILLS):
        issued_ts = _t(issued) if issued else None
        bill = Bill(
            bill_id, -1, ENTERPRISE_UK, account, "Customer", name, number or None, status, kind,
            _t(created), issued_ts, issued_ts, None, _t(updated), "", (account,),
        )  # fmt: skip
        state.bills.add(bill_id, bill)
    spa = state.world.service(ENTERPRISE_UK, "spa").id
    for order_id, created, updated in rows(_PRODUCT_ORDERS):
        order = ProductServiceOrder(
            order_id, -1, ENTERPRISE_UK, spa, DOCS.JOHN_SMITH, "52", "Confirmed", "Connector",
            DOCS.RESERVATION_APRIL, None, _t(created), _t(updated), None,
        )  # fmt: skip
        state.product_orders.add(order_id, order)


_TASKS = """
b166fc93-c75a-438f-93b8-ab1e00a031ae | Test all            | Open   | 2019-12-09T09:43:14Z | 2020-01-01T14:00:00Z |
65cf1aac-bef2-4653-9350-ab2600af65af | Replace shower head | Closed | 2019-12-09T08:00:00Z | 2020-01-01T15:00:00Z | 2019-12-09T12:00:00Z
"""  # noqa: E501
_THREADS = """
7f9325f6-ef44-4911-89a8-ae51010a5aa4 | John Doe   | Example subject | 2022-03-07T16:09:45Z | 2022-03-09T13:19:46Z
e7f26210-10e7-462e-9da8-ae8300be8ab7 | Front desk | Late arrival    | 2022-03-10T08:00:00Z | 2022-03-10T08:00:00Z
"""  # noqa: E501


def _operations(state: State) -> None:
    maintenance = state.world.by_role("department", ENTERPRISE_UK, "maintenance")
    for task_id, name, status, created, deadline, closed in rows(_TASKS):
        task = Task(
            task_id, ENTERPRISE_UK, name, "Task description", status, maintenance,
            DOCS.RESERVATION_TASKS, _t(created), _t(deadline), _t(closed) if closed else None,
        )  # fmt: skip
        state.tasks.add(task_id, task)
    client = DEMO_TOKENS[0].client_token
    for thread_id, sender, subject, created, updated in rows(_THREADS):
        thread = MessageThread(thread_id, ENTERPRISE_UK, client, sender, subject, _t(created),
                               _t(updated))  # fmt: skip
        state.threads.add(thread_id, thread)
    message = Message(DOCS.MESSAGE, ENTERPRISE_UK, DOCS.THREAD, "Text of the message",
                      "Application", _t("2022-03-09T13:19:46Z"))  # fmt: skip
    state.messages.add(message.id, message)
    note = ServiceOrderNote(
        "a06a225b-00f7-48c8-a463-af5c016768e9", ENTERPRISE_UK,
        "1dc0c6bf-2ce6-4a9f-af97-af5c01676720", "Shaken, not stirred.", "General",
        _t("2022-11-29T21:48:32Z"), _t("2022-11-30T12:36:37Z"),
    )  # fmt: skip
    state.order_notes.add(note.id, note)
