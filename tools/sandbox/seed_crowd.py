"""The generated crowd: guests with three years of stays, loyalty memberships and notes.

Per guest: a home hotel (60 % UK), a nationality weighted by hotel, a name from that
nationality's pool, 97 % with an email. 35 % are PC01 members (Bronze 60 %, Silver 26 %,
Gold 10 %, Platinum 4 % of members) and stay more by tier; 15 % of members are lapsed (nothing in
the last 13 months); 4 % of guests hold a GEC07 membership. Stays: 93 % in the past three years,
the rest in the next 120 days; 10 % canceled; flags for breakfast, parking, restaurant, spa and
upgrades drive the derived spend. Points follow nights in the last 24 months and the tier.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

from tools.sandbox.clock import DAY
from tools.sandbox.factory import make_note
from tools.sandbox.seed_builder import Builder
from tools.sandbox.seed_docs import DOCS
from tools.sandbox.state import (
    BREAKFAST,
    PARKING,
    RESTAURANT,
    SPA,
    UPGRADE,
    Customer,
    Reservation,
    ServiceOrderNote,
)
from tools.sandbox.world import ENTERPRISE_UK, ENTERPRISE_US, rows

__all__ = ["add_crowd"]

# nationality | weight for UK-home guests | for US-home guests | language, then three lines:
# male first names, female first names, last names ("_" stands for a space)
_PEOPLE = """
GB | 55 | 8 | en-GB
James Oliver Harry George Jack William Thomas Daniel Michael Noah
Olivia Amelia Isla Ava Emily Sophie Grace Charlotte Hannah Lucy
Smith Jones Taylor Brown Williams Wilson Davies Robinson Wright Evans Walker Hughes
US | 8 | 70 | en-US
Liam Ethan Mason Logan Lucas Benjamin Elijah Aiden Carter Wyatt
Emma Olivia Mia Harper Abigail Madison Ella Avery Scarlett Chloe
Johnson Miller Davis Garcia Martinez Anderson Thomas Moore Martin Lee Harris Clark
DE | 8 | 5 | de-DE
Lukas Leon Felix Jonas Maximilian Paul
Anna Lea Marie Sophie Hannah Lena
Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker
FR | 7 | 4 | fr-FR
Louis Gabriel Jules Raphaël Léo Arthur
Léa Chloé Manon Camille Inès Zoé
Martin Bernard Dubois Moreau Lefèvre Girard Rousseau
ES | 5 | 4 | es-ES
Hugo Mateo Martín Lucas Pablo Álvaro
Lucía Sofía María Paula Valeria Elena
García Fernández López Martínez Sánchez Pérez Gómez
IT | 5 | 3 | it-IT
Leonardo Francesco Alessandro Lorenzo Mattia
Giulia Aurora Sofia Ginevra Beatrice
Rossi Russo Ferrari Esposito Bianchi Romano Colombo
NL | 4 | 2 | nl-NL
Daan Sem Lucas Finn Milan
Julia Sanne Emma Tess Noor
de_Jong Jansen de_Vries van_Dijk Bakker Visser
CZ | 3 | 1 | cs-CZ
Jakub Jan Tomáš Matěj Vojtěch
Tereza Eliška Anna Natálie Adéla
Novák Svoboda Dvořák Černý Procházka Kučera
JP | 3 | 4 | ja-JP
Haruto Sota Yuto Riku Hinata
Yui Hina Aoi Sakura Mei
Sato Suzuki Takahashi Tanaka Watanabe Ito
PL | 2 | 1 | pl-PL
Jakub Antoni Jan Szymon Filip
Zofia Zuzanna Julia Maja Hanna
Nowak Kowalski Wiśniewski Wójcik Kowalczyk
"""

_GUEST_NOTES = """
Prefers a high floor and a quiet room.           | FrontOffice
Allergic to nuts.                                | FoodAndBeverage
Vegetarian.                                      | FoodAndBeverage
Likes extra pillows.                             | Housekeeping
Anniversary in June: offer a bottle of prosecco. | Gifts
Complained about street noise last stay.         | Complaints
Travels with a service dog.                      | General
"""
_REQUESTS = (
    "Late arrival around 23:00.",
    "Quiet room please.",
    "Cot required.",
    "Twin beds if possible.",
    "Celebrating a birthday.",
    "Early check-in requested.",
)
_DOMAINS = ("example.com", "example.org", "example.net", "mail.example", "inbox.example")
_TIER_MULTIPLIER = {"B": 1.0, "S": 1.25, "G": 1.5, "P": 2.0}
_TIER_STAYS = {"B": (1, 3), "S": (4, 8), "G": (8, 14), "P": (14, 26)}


class _Nation:
    def __init__(self, head: list[str], males: str, females: str, lasts: str) -> None:
        self.code, self.uk_weight, self.us_weight, self.language = (
            head[0],
            int(head[1]),
            int(head[2]),
            head[3],
        )
        self.males = males.split()
        self.females = females.split()
        self.lasts = [name.replace("_", " ") for name in lasts.split()]


def _nations() -> list[_Nation]:
    lines = _PEOPLE.strip().splitlines()
    return [
        _Nation(rows(lines[i])[0], lines[i + 1], lines[i + 2], lines[i + 3])
        for i in range(0, len(lines), 4)
    ]


_NATIONS = _nations()
_NOTES = [(text, classification) for text, classification in rows(_GUEST_NOTES)]


def _ascii(text: str) -> str:
    text = text.replace("ł", "l").replace("Ł", "L").replace("ø", "o").replace("ß", "ss")
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


SeedProgress = Callable[[int, int | None, str], None]
"""`progress(done, total, what)`: the guests generated so far, of all to generate."""

PROGRESS_EVERY = 500
"""Guests generated between two progress reports (100,000 guests: 200 reports)."""


def add_crowd(b: Builder, total: int, progress: SeedProgress | None = None) -> None:
    """Add guests until the chain has `total` customer profiles, telling `progress` how many
    of them are generated."""
    for customer in b.state.customers:
        b.state.index_email(customer)
    wanted = max(0, total - len(b.state.customers))
    for done in range(wanted):
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done, wanted, "generating guests")
        _Guest(b).add()
    if progress is not None:
        progress(wanted, wanted, "generating guests")


class _Guest:
    def __init__(self, b: Builder) -> None:
        self.b = b
        rng = b.rng
        self.home = ENTERPRISE_UK if rng.random() < 0.6 else ENTERPRISE_US
        weights = [n.uk_weight if self.home == ENTERPRISE_UK else n.us_weight for n in _NATIONS]
        self.nation = rng.choices(_NATIONS, weights)[0]
        self.female = rng.random() < 0.5
        self.first = rng.choice(self.nation.females if self.female else self.nation.males)
        self.last = rng.choice(self.nation.lasts)
        self.id = b.uid()
        roll = rng.random()
        self.tier = (
            None
            if roll >= 0.35
            else "P"
            if roll < 0.014
            else "G"
            if roll < 0.05
            else "S"
            if roll < 0.14
            else "B"
        )
        self.business = rng.random() < 0.3
        self.stays = 0
        self.lapsed = self.tier is not None and rng.random() < 0.15

    def add(self) -> None:
        b, rng = self.b, self.b.rng
        first_created, nights_24m, last_end = b.now, 0, 0
        self.stays = self._stay_count()
        for _ in range(self.stays):
            reservation = self._stay()
            first_created = min(first_created, reservation.created)
            if reservation.state == "Processed":
                last_end = max(last_end, reservation.end)
                if reservation.start >= b.now - 730 * DAY:
                    nights_24m += round((reservation.end - reservation.start) / DAY)
        created = first_created - rng.randrange(0, 300) * DAY - rng.randrange(DAY)
        customer = self._customer(created, min(b.now, max(created, last_end)))
        if rng.random() < 0.004:
            customer.active, customer.deleted = False, customer.updated
        if rng.random() < 0.03:
            text, classification = rng.choice(_NOTES)
            note = make_note(b.uid(), self.id, text, classification,
                             created=min(b.now, created + rng.randrange(1, 400) * DAY))  # fmt: skip
            b.state.account_notes.add(note.id, note)
        if self.tier is not None:
            self._membership(customer, nights_24m, created)
        if rng.random() < 0.04:
            b.member(b.uid(), self.id, None, rng.randrange(0, 20000),
                     created=min(b.now, created + DAY), program=DOCS.PROGRAM_GEC07,
                     primary=self.tier is None, expiry_days=rng.randrange(30, 700))  # fmt: skip

    def _customer(self, created: int, updated: int) -> Customer:
        b, rng = self.b, self.b.rng
        email = None if rng.random() < 0.03 else self._email()
        classes = ["Returning"] if self.stays >= 2 else []
        if self.tier is not None:
            classes.append("LoyaltyProgram")
        if rng.random() < 0.01:
            classes.append("VeryImportant")
        birth = f"{rng.randrange(1950, 2003)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        phone = (
            f"+44 7700 9{rng.randrange(10000, 99999)}"
            if self.home == ENTERPRISE_UK
            else f"+1 202 555 {rng.randrange(1000, 9999)}"
        )
        customer = Customer(
            id=self.id,
            number=b.number(),
            last_name=self.last,
            first_name=self.first,
            email=email,
            phone=phone,
            title="Miss" if self.female else "Mister",
            sex="Female" if self.female else "Male",
            nationality=self.nation.code,
            language=self.nation.language,
            birth_date=birth,
            classifications=tuple(classes),
            options=("SendMarketingEmails",) if rng.random() < 0.55 else (),
            created=created,
            updated=updated,
        )
        b.state.customers.add(customer.id, customer)
        return customer

    def _email(self) -> str:
        b = self.b
        base = f"{_ascii(self.first)}.{_ascii(self.last)}"
        domain = b.rng.choice(_DOMAINS)
        email, suffix = f"{base}@{domain}", 1
        while email in b.state.email_index:
            suffix += 1
            email = f"{base}{suffix}@{domain}"
        b.state.email_index[email] = self.id
        return email

    def _stay_count(self) -> int:
        rng = self.b.rng
        if self.tier is not None:
            low, high = _TIER_STAYS[self.tier]
            return rng.randint(low, high)
        return rng.choices((0, 1, 2, 3, 5), (5, 62, 20, 8, 5))[0]

    def _stay(self) -> Reservation:
        b, rng = self.b, self.b.rng
        away = ENTERPRISE_US if self.home == ENTERPRISE_UK else ENTERPRISE_UK
        enterprise = self.home if rng.random() < 0.85 else away
        if self.lapsed:
            offset = -rng.randint(400, 1095)
        elif rng.random() < 0.93:
            offset = -rng.randint(1, 1095)
        else:
            offset = rng.randint(0, 120)
        business = self.business and rng.random() < 0.8
        nights = rng.choice((1, 1, 2, 2, 3) if business else (1, 2, 2, 3, 3, 4, 5, 7))
        flags = 0
        for flag, chance in (
            (BREAKFAST, 0.45),
            (PARKING, 0.18),
            (RESTAURANT, 0.55 if business else 0.35),
            (SPA, 0.06 if business else 0.2),
            (UPGRADE, 0.05),
        ):
            if rng.random() < chance:
                flags |= flag
        roll = rng.random()
        reservation = b.stay(
            self.id,
            enterprise,
            offset,
            nights,
            flags=flags,
            purpose="Business" if business else "Leisure",
            category="standard" if roll < 0.65 else "deluxe" if roll < 0.92 else "suite",
            lead_days=int(rng.expovariate(1 / 25)),
            canceled=rng.random() < 0.1,
            adults=1 if business else rng.choice((1, 2, 2, 2)),
        )
        self._vary(reservation)
        return reservation

    def _vary(self, reservation: Reservation) -> None:
        b, rng = self.b, self.b.rng
        if reservation.state == "Confirmed" and rng.random() < 0.2:
            reservation.state = rng.choice(("Optional", "Inquired", "Requested"))
            reservation.resource_id = None
        if reservation.state == "Canceled" and rng.random() < 0.2:
            reservation.cancellation_reason = "NoShow"
        if rng.random() < 0.04:
            note = ServiceOrderNote(b.uid(), reservation.enterprise_id, reservation.id,
                                    rng.choice(_REQUESTS), "SpecialRequest", reservation.created,
                                    reservation.created)  # fmt: skip
            b.state.order_notes.add(note.id, note)

    def _membership(self, customer: Customer, nights: int, created: int) -> None:
        b, rng = self.b, self.b.rng
        assert self.tier is not None
        points = int(nights * rng.randint(110, 190) * _TIER_MULTIPLIER[self.tier])
        if rng.random() < 0.3:
            points = max(0, points - rng.randint(500, 3000))
        state = rng.choices(
            ("Enrolled", "Pending", "New", "Canceled", "Declined"), (92, 3, 2, 2, 1)
        )[0]
        membership_id = b.uid()
        expiry = None if rng.random() < 0.1 else rng.randrange(30, 730)
        b.member(membership_id, self.id, self.tier, points, created=min(b.now, created + DAY),
                 state=state, expiry_days=expiry)  # fmt: skip
        membership = b.state.memberships.rows[membership_id]
        if rng.random() < 0.01:
            membership.active, membership.deleted = False, membership.updated
        if rng.random() < 0.5:
            customer.loyalty_code = membership.membership_number
