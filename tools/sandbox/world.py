"""The static part of the demo chain: the same for every seed.

Ids were chosen so that the documented examples work verbatim:

- chain `3fa85f64-5717-4562-b3fc-2c963f66afa6` ("Connector API Chain"), the `ChainId` of every
  loyalty example;
- the Gross-pricing UK enterprise is `851df8c8-90f2-4c4a-8e01-a4fc46b25178` (the
  `configuration/get` example and the General-Webhook example), reached with the four
  Gross-pricing demo tokens;
- the Net-pricing US (Washington DC) enterprise is `4d0201db-36f5-428b-8d11-4f0a65e960cc` (the
  second enterprise of every `EnterpriseIds` example), reached with the four Net-pricing tokens;
- documented service, product, accounting-category and department ids belong to the UK
  enterprise (e.g. Accommodation `bd26d8db-…`, Restaurant `fc79a518-…`, Breakfast `198bc308-…`);
  everything else has a stable name-derived id (`fixed_id`).

Prices are integer minor units (pence, cents): gross for the Gross-pricing enterprise, net for
the Net-pricing one, as Mews enterprises are configured.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, field

from tools.sandbox.clock import parse_ts
from tools.sandbox.errors import JSON
from tools.sandbox.ids import fixed_id

__all__ = [
    "CHAIN_ID",
    "CHAIN_NAME",
    "ENTERPRISE_UK",
    "ENTERPRISE_US",
    "PORTFOLIO_ENTERPRISE",
    "TAX_RATES",
    "AccountingCategory",
    "Department",
    "Enterprise",
    "Product",
    "ResourceCategory",
    "Service",
    "World",
    "WorldRecord",
    "build_world",
    "convert_minor",
    "rows",
]

CHAIN_ID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
CHAIN_NAME = "Connector API Chain"
ENTERPRISE_UK = "851df8c8-90f2-4c4a-8e01-a4fc46b25178"
ENTERPRISE_US = "4d0201db-36f5-428b-8d11-4f0a65e960cc"
PORTFOLIO_ENTERPRISE = fixed_id("enterprise/portfolio")

TAX_RATES: dict[str, float] = {
    "UK-S": 0.20,
    "UK-R": 0.05,
    "UK-Z": 0.0,
    "US-DC-H": 0.1495,
    "US-DC-G": 0.10,
    "US-DC-Z": 0.0,
}
"""Tax rate codes the sandbox knows; unknown codes are accepted and taxed at 0 %."""

_EUR_PER_UNIT = {"EUR": 1.0, "GBP": 1.17, "USD": 0.92}


def convert_minor(minor: int, source: str, target: str) -> int:
    """Convert minor units between GBP, EUR and USD at fixed demo rates."""
    if source == target:
        return minor
    return round(minor * _EUR_PER_UNIT[source] / _EUR_PER_UNIT[target])


def _t(text: str) -> int:
    return parse_ts(text)


def rows(table: str) -> list[list[str]]:
    """Parse a `|`-separated text table (one row per non-empty line, cells stripped)."""
    return [[cell.strip() for cell in line.split("|")] for line in table.strip().splitlines()]


@dataclass(frozen=True)
class Enterprise:
    id: str
    name: str
    short_name: str
    external_identifier: str
    holding_key: str
    created: int
    updated: int
    linked: int
    time_zone: str
    utc_offset_hours: int
    legal_environment: str
    tax_environment: str
    pricing: str
    currency: str
    currencies: tuple[str, ...]
    website: str
    email: str
    phone: str
    address: JSON
    group_names: tuple[str, ...]
    tax_identifier: str
    company_name: str


@dataclass(frozen=True)
class WorldRecord:
    """A static record of one enterprise (a service, product, category, department...); its
    instants are keyword-only, so that no call confuses the two."""

    id: str
    enterprise_id: str
    _: KW_ONLY
    created: int
    updated: int


@dataclass(frozen=True)
class Service(WorldRecord):
    name: str
    kind: str  # "Bookable" | "Additional"
    role: str
    ordering: int
    external_identifier: str


@dataclass(frozen=True)
class AccountingCategory(WorldRecord):
    name: str
    code: str
    classification: str | None
    external_code: str
    ledger_account_code: str
    posting_account_code: str
    cost_center_code: str
    role: str


@dataclass(frozen=True)
class Product(WorldRecord):
    service_id: str
    name: str
    short_name: str
    description: str
    accounting_category_id: str
    charging_mode: str
    posting_mode: str
    classifications: tuple[str, ...]
    price: int
    tax_code: str
    role: str
    ordering: int
    external_identifier: str


@dataclass(frozen=True)
class ResourceCategory(WorldRecord):
    service_id: str
    name: str
    short_name: str
    description: str
    type: str
    role: str
    capacity: int
    ordering: int
    night_price: int
    rooms: tuple[str, ...]


@dataclass(frozen=True)
class Department(WorldRecord):
    name: str


@dataclass
class World:
    """Everything static, with lookups by id and by (enterprise, role)."""

    enterprises: dict[str, Enterprise] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    accounting_categories: dict[str, AccountingCategory] = field(default_factory=dict)
    products: dict[str, Product] = field(default_factory=dict)
    resource_categories: dict[str, ResourceCategory] = field(default_factory=dict)
    departments: dict[str, Department] = field(default_factory=dict)
    rates: dict[str, tuple[str, str]] = field(default_factory=dict)  # enterprise → (BAR, member)
    age_categories: dict[str, tuple[str, str]] = field(default_factory=dict)  # → (adult, child)
    rooms: dict[str, str] = field(default_factory=dict)  # room id → enterprise id
    _roles: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def by_role(self, kind: str, enterprise_id: str, role: str) -> str:
        return self._roles[(kind, enterprise_id, role)]

    def service(self, enterprise_id: str, role: str) -> Service:
        return self.services[self.by_role("service", enterprise_id, role)]

    def product(self, enterprise_id: str, role: str) -> Product:
        return self.products[self.by_role("product", enterprise_id, role)]

    def accounting(self, enterprise_id: str, role: str) -> AccountingCategory:
        return self.accounting_categories[self.by_role("accounting", enterprise_id, role)]

    def category(self, enterprise_id: str, role: str) -> ResourceCategory:
        return self.resource_categories[self.by_role("category", enterprise_id, role)]

    def categories_of(self, enterprise_id: str) -> list[ResourceCategory]:
        return [c for c in self.resource_categories.values() if c.enterprise_id == enterprise_id]


_UK_IDS = {
    ("service", "accommodation"): "bd26d8db-86da-4f96-9efc-e5a4654a4a94",
    ("service", "restaurant"): "fc79a518-bc69-45b8-93bd-83326201bd14",
    ("service", "spa"): "ae8da28c-e8a4-4141-9df0-8c998976c691",
    ("product", "breakfast"): "198bc308-c1f2-4a1c-a827-c41d99d52f3d",
    ("product", "late_checkout"): "2eb7ad8b-8dfb-4381-aba5-ab58009f2993",
    ("accounting", "accommodation"): "0cf7aa90-736f-43e9-a7dc-787704548d86",
    ("accounting", "food"): "6535e19e-1077-49d9-a338-67bf4ffecb14",
    ("accounting", "beverage"): "90eff5aa-36b4-4689-80c0-ab3a00bb412e",
    ("department", "sales"): "98776d06-60e4-495f-82f1-95ab2f644d63",
    ("department", "front_office"): "8a0770a7-5178-4b87-8898-ab0400a346ec",
    ("department", "maintenance"): "c28cfb42-a963-4195-ad26-ab1b009b6425",
}
_US_IDS = {
    ("accounting", "beverage"): "0b9560fb-055d-47d3-a6d4-e579c44ca558",
    ("department", "housekeeping"): "915fbb82-de35-48a0-9e9b-f4a7eac711bb",
}

_CREATED = _t("2019-11-04T09:12:00Z")
_UPDATED = _t("2023-10-28T11:48:57Z")


def _enterprises() -> list[Enterprise]:
    uk = Enterprise(
        id=ENTERPRISE_UK,
        name="Connector API Hotel",
        short_name="CAH London",
        external_identifier="Enterprise2023",
        holding_key="CA123",
        created=_t("2015-07-07T13:33:17Z"),
        updated=_t("2023-10-15T08:00:00Z"),
        linked=_t("2023-06-01T00:00:00Z"),
        time_zone="Europe/London",
        utc_offset_hours=0,
        legal_environment="UK",
        tax_environment="UK",
        pricing="Gross",
        currency="GBP",
        currencies=("GBP", "EUR", "USD"),
        website="https://connector-api-hotel.example.com/",
        email="frontdesk@connector-api-hotel.example.com",
        phone="+44 20 7946 0000",
        address={
            "Id": fixed_id("address/uk"),
            "Line1": "12 Example Street",
            "Line2": None,
            "City": "London",
            "PostalCode": "EC1A 1AA",
            "CountryCode": "GB",
            "CountrySubdivisionCode": "GB-ENG",
            "Latitude": 51.5194,
            "Longitude": -0.0977,
        },
        group_names=("Connector API Group",),
        tax_identifier="GB123456789",
        company_name="Connector API Hotel Ltd",
    )
    us = Enterprise(
        id=ENTERPRISE_US,
        name="Connector API Hotel (Net Pricing)",
        short_name="CAH DC",
        external_identifier="Enterprise2023-DC",
        holding_key="CA124",
        created=_t("2022-03-23T17:12:06Z"),
        updated=_t("2023-10-16T08:00:00Z"),
        linked=_t("2023-06-02T00:00:00Z"),
        time_zone="America/New_York",
        utc_offset_hours=-5,
        legal_environment="US-DC",
        tax_environment="US-DC",
        pricing="Net",
        currency="USD",
        currencies=("USD", "GBP", "EUR"),
        website="https://connector-api-hotel-dc.example.com/",
        email="frontdesk@connector-api-hotel-dc.example.com",
        phone="+1 202 555 0100",
        address={
            "Id": fixed_id("address/us"),
            "Line1": "1600 Example Avenue NW",
            "Line2": None,
            "City": "Washington",
            "PostalCode": "20001",
            "CountryCode": "US",
            "CountrySubdivisionCode": "US-DC",
            "Latitude": 38.8977,
            "Longitude": -77.0365,
        },
        group_names=("Connector API Group",),
        tax_identifier="52-1234567",
        company_name="Connector API Hotel DC LLC",
    )
    return [uk, us]


# role, name, code, classification
_ACCOUNTING = (
    ("accommodation", "Accommodation", "345", "Accommodation"),
    ("food", "Food", "410", "FoodAndBeverage"),
    ("beverage", "Beverage", "420", "FoodAndBeverage"),
    ("wellness", "Spa & Wellness", "510", "Wellness"),
    ("parking", "Parking", "610", "Facilities"),
    ("city_tax", "City tax", "710", "Taxes"),
    ("payments", "Payments", "900", "Payments"),
)

# role | service | accounting role | charging | posting | classification | UK gross pence |
# US net cents | short name | name. Tax: city tax 0 %; accommodation items at the hotel rate
# (UK-S, US-DC-H); everything else at the general rate (UK-S, US-DC-G).
_PRODUCTS = """
breakfast     | accommodation | food          | PerPersonPerTimeUnit | PerTimeUnit | Food     | 1800 | 2400  | BFST  | Breakfast
late_checkout | accommodation | accommodation | Once                 | Once        | Fee      | 3000 | 4000  | LCO   | Late checkout
room_upgrade  | accommodation | accommodation | PerTimeUnit          | PerTimeUnit |          | 4500 | 6000  | UPG   | Room upgrade
parking       | accommodation | parking       | PerTimeUnit          | PerTimeUnit | Fee      | 2500 | 3500  | PARK  | Parking
city_tax      | accommodation | city_tax      | PerPersonPerTimeUnit | PerTimeUnit | CityTax  | 200  | 300   | CTAX  | City tax
welcome_drink | restaurant    | beverage      | Once                 | Once        | Beverage | 900  | 1200  | WDRK  | Welcome drink
dinner        | restaurant    | food          | PerPerson            | Once        | Food     | 4500 | 6000  | DIN   | Dinner menu
cocktail      | restaurant    | beverage      | Once                 | Once        | Beverage | 1400 | 1600  | CKTL  | Cocktail
massage       | spa           | wellness      | Once                 | Once        | Wellness | 8500 | 12000 | MSG60 | Massage 60 min
spa_credit    | spa           | wellness      | Once                 | Once        | Wellness | 3000 | 4000  | SPACR | Spa credit
day_spa       | spa           | wellness      | PerPerson            | Once        | Wellness | 4000 | 5500  | DSPA  | Day spa access
"""  # noqa: E501
_DESCRIPTIONS = {
    "breakfast": "Continental breakfast buffet.",
    "late_checkout": "Check out as late as 14:00.",
    "room_upgrade": "Upgrade to the next room category.",
    "parking": "Secure underground parking, per night.",
    "city_tax": "City tax per person and night.",
    "welcome_drink": "A glass of sparkling wine at the bar.",
    "dinner": "Three-course dinner in the restaurant.",
    "cocktail": "Signature cocktail at the bar.",
    "massage": "Hot-stone or Swedish massage, 60 minutes.",
    "spa_credit": "Credit to spend in the spa.",
    "day_spa": "Pool, sauna and steam room for a day.",
}


def _tax_code(role: str, accounting_role: str, uk: bool) -> str:
    if role == "city_tax":
        return "UK-Z" if uk else "US-DC-Z"
    if accounting_role == "accommodation":
        return "UK-S" if uk else "US-DC-H"
    return "UK-S" if uk else "US-DC-G"


# role, name, short, type, capacity, (UK gross, US net) per night, rooms
_CATEGORIES = (
    ("standard", "Standard Double", "STD", "Room", 2, (12000, 18900), 40),
    ("deluxe", "Deluxe King", "DLX", "Room", 2, (17000, 24900), 20),
    ("suite", "Junior Suite", "STE", "Suite", 3, (29000, 42000), 6),
)

_DEPARTMENTS = {
    ENTERPRISE_UK: ("sales", "front_office", "maintenance", "housekeeping", "spa", "loyalty_desk"),
    ENTERPRISE_US: ("housekeeping", "front_office", "sales", "loyalty_desk"),
}
_DEPARTMENT_NAMES = {
    "sales": "Sales",
    "front_office": "Front Office",
    "maintenance": "Maintenance",
    "housekeeping": "Housekeeping",
    "spa": "Spa",
    "loyalty_desk": "Loyalty Desk",
}


class _Builder:
    def __init__(self) -> None:
        self.world = World()

    def ident(self, kind: str, enterprise: Enterprise, role: str) -> str:
        known = _UK_IDS if enterprise.id == ENTERPRISE_UK else _US_IDS
        value = known.get((kind, role)) or fixed_id(f"{enterprise.id}/{kind}/{role}")
        self.world._roles[(kind, enterprise.id, role)] = value
        return value

    def add_enterprise(self, enterprise: Enterprise, index: int) -> None:
        world = self.world
        world.enterprises[enterprise.id] = enterprise
        uk = index == 0
        self._services(enterprise, uk)
        for role, name, code, classification in _ACCOUNTING:
            category = AccountingCategory(
                self.ident("accounting", enterprise, role),
                enterprise.id,
                "Alcoholic Beverage" if (role == "beverage" and not uk) else name,
                code,
                classification,
                f"{code}-{enterprise.short_name[-2:]}",
                "311100",
                "602020",
                "2589",
                role,
                created=_CREATED,
                updated=_UPDATED,
            )
            world.accounting_categories[category.id] = category
        self._products(enterprise, uk)
        self._categories(enterprise, uk)
        for role in _DEPARTMENTS[enterprise.id]:
            department = Department(
                self.ident("department", enterprise, role),
                enterprise.id,
                _DEPARTMENT_NAMES[role],
                created=_CREATED,
                updated=_UPDATED,
            )
            world.departments[department.id] = department
        world.rates[enterprise.id] = (
            fixed_id(f"{enterprise.id}/rate/bar"),
            fixed_id(f"{enterprise.id}/rate/member"),
        )
        world.age_categories[enterprise.id] = (
            fixed_id(f"{enterprise.id}/age/adult"),
            fixed_id(f"{enterprise.id}/age/child"),
        )

    def _services(self, enterprise: Enterprise, uk: bool) -> None:
        updated = _t("2020-01-07T10:00:00Z") if uk else _UPDATED
        for ordering, (role, name, kind) in enumerate(
            (
                ("accommodation", "Accommodation", "Bookable"),
                ("restaurant", "Restaurant", "Additional"),
                ("spa", "Spa & Wellness", "Additional"),
            )
        ):
            service = Service(
                self.ident("service", enterprise, role),
                enterprise.id,
                name,
                kind,
                role,
                ordering,
                f"SVCE-{name.split()[0]}{'' if uk else '-DC'}",
                created=_CREATED,
                updated=updated,
            )
            self.world.services[service.id] = service

    def _products(self, enterprise: Enterprise, uk: bool) -> None:
        for ordering, row in enumerate(rows(_PRODUCTS)):
            role, service_role, accounting_role, charging, posting, classification = row[:6]
            uk_price, us_price, short, name = row[6:]
            product = Product(
                id=self.ident("product", enterprise, role),
                enterprise_id=enterprise.id,
                service_id=self.world.by_role("service", enterprise.id, service_role),
                name=name,
                short_name=short,
                description=_DESCRIPTIONS[role],
                accounting_category_id=self.world.by_role(
                    "accounting", enterprise.id, accounting_role
                ),
                charging_mode=charging,
                posting_mode=posting,
                classifications=(classification,) if classification else (),
                price=int(uk_price if uk else us_price),
                tax_code=_tax_code(role, accounting_role, uk),
                role=role,
                ordering=ordering,
                external_identifier=f"PROD-{short}-{'UK' if uk else 'DC'}",
                created=_t("2023-10-01T11:48:57Z"),
                updated=_UPDATED,
            )
            self.world.products[product.id] = product

    def _categories(self, enterprise: Enterprise, uk: bool) -> None:
        service_id = self.world.by_role("service", enterprise.id, "accommodation")
        for ordering, (role, name, short, kind, capacity, prices, count) in enumerate(_CATEGORIES):
            floor = ordering + 1
            rooms = tuple(
                fixed_id(f"{enterprise.id}/room/{floor}{number:02d}")
                for number in range(1, count + 1)
            )
            category = ResourceCategory(
                self.ident("category", enterprise, role),
                enterprise.id,
                service_id,
                name,
                short,
                f"{name} room, sleeps {capacity}.",
                kind,
                role,
                capacity,
                ordering,
                prices[0 if uk else 1],
                rooms,
                created=_t("2019-11-04T09:12:00Z"),
                updated=_t("2023-05-07T09:00:00Z"),
            )
            self.world.resource_categories[category.id] = category
            for room in rooms:
                self.world.rooms[room] = enterprise.id


def build_world() -> World:
    builder = _Builder()
    for index, enterprise in enumerate(_enterprises()):
        builder.add_enterprise(enterprise, index)
    return builder.world
