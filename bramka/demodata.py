"""A realistic, deterministic demo congress (see /work/shared/demo-event.md).

``generate_congress()`` builds a three-day regional social-policy congress in Kraków:
sessions and side events (UTC times, day 1 from 08:00 to 20:00 local), about 520 people
with Polish names and institutions as people write them, and registrations for the
workshops and side events within their capacity. From it come a roster snapshot for
the kiosks (:meth:`Congress.to_snapshot`), badge tokens for the demo camera
(:func:`demo_badges`) and registration exports as the admin receives them
(:func:`write_registration_csv`).

Everything is derived from ``seed`` only; ``start`` defaults to today in Warsaw so a
demo started on any day has sessions running. E-mail domains end in ``.example``
(RFC 2606), so no real mailbox is ever addressed.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Literal
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync import roster, token
from sync.text import fold
from sync.timekeeping import DEFAULT_TIMEZONE

WARSAW = ZoneInfo(DEFAULT_TIMEZONE)  # the demo congress is in Kraków
Role = Literal["participant", "speaker", "organizer", "press", "volunteer", "guest"]
BadgeKind = Literal["valid", "revoked", "forged", "cancelled"]
CsvFlavour = Literal["google", "excel_pl", "msforms"]

ORGANIZER = "Regionalny Ośrodek Polityki Społecznej w Krakowie"
MAIN_VENUE = "Auditorium Maximum, ul. Krupnicza 33, Kraków"
GALA_VENUE = "Centrum Kongresowe, ul. Marii Konopnickiej 17, Kraków"
HELP_DESK = roster.LocalizedText(
    pl="Punkt informacyjny w holu głównym", en="the help desk in the main hall"
)

FEMALE_FIRST = (
    "Anna", "Maria", "Katarzyna", "Małgorzata", "Agnieszka", "Barbara", "Ewa", "Krystyna",
    "Elżbieta", "Magdalena", "Joanna", "Aleksandra", "Monika", "Dorota", "Beata", "Justyna",
    "Jolanta", "Iwona", "Renata", "Grażyna", "Halina", "Urszula", "Zofia", "Marta", "Natalia",
    "Karolina", "Paulina", "Żaneta", "Bożena", "Jadwiga", "Łucja", "Wiesława", "Teresa",
    "Sylwia", "Edyta", "Weronika", "Izabela", "Aneta", "Danuta", "Kinga",
)
MALE_FIRST = (
    "Piotr", "Krzysztof", "Andrzej", "Tomasz", "Paweł", "Michał", "Marcin", "Łukasz",
    "Grzegorz", "Jakub", "Adam", "Mateusz", "Wojciech", "Rafał", "Jerzy", "Stanisław",
    "Zbigniew", "Mirosław", "Józef", "Bartłomiej", "Maciej", "Przemysław", "Sławomir",
    "Dariusz", "Kazimierz", "Jarosław", "Szymon", "Bogdan",
)
# Masculine forms; -ski/-cki/-dzki become -ska/-cka/-dzka for women.
SURNAMES = (
    "Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski",
    "Zieliński", "Szymański", "Woźniak", "Dąbrowski", "Kozłowski", "Jankowski", "Mazur",
    "Kwiatkowski", "Krawczyk", "Piotrowski", "Grabowski", "Pawłowski", "Michalski", "Nowicki",
    "Adamczyk", "Dudek", "Zając", "Wieczorek", "Jabłoński", "Król", "Majewski", "Olszewski",
    "Wróbel", "Malinowski", "Pawlak", "Walczak", "Stępień", "Górski", "Sikora", "Baran",
    "Duda", "Szewczyk", "Pietrzak", "Zawadzki", "Bąk", "Włodarczyk", "Czarnecki", "Sokołowski",
    "Kubiak", "Szczepański", "Wilk", "Lis", "Mazurek", "Kaźmierczak", "Cieślak", "Głowacki",
    "Kołodziej", "Gawron", "Cecuga", "Bieniek", "Gąsienica", "Chowaniec", "Mróz", "Ćwik",
    "Śliwa", "Żak", "Łabuda", "Pęcak", "Bafia", "Trebunia", "Ziółkowski", "Brzeziński",
    "Jaworski", "Zalewski", "Jasiński", "Sadowski", "Chmielewski", "Borkowski", "Sawicki",
    "Urbański", "Maciejewski", "Kucharski", "Kalinowski", "Wysocki", "Adamski", "Wasilewski",
    "Sobczak", "Czerwiński", "Andrzejewski", "Zakrzewski", "Sikorski", "Krajewski", "Gajewski",
    "Szulc", "Baranowski", "Laskowski", "Makowski", "Przybylski", "Nowakowski", "Tomaszewski",
    "Marciniak", "Wróblewski", "Jakubowski", "Rutkowski", "Michalak", "Ostrowski", "Kościelniak",
    "Gil", "Skowron", "Wrona", "Pająk", "Sroka", "Kukla", "Bielecki", "Wojtas", "Szczurek",
    "Kurek", "Fiedor", "Hajduk", "Ryba", "Nalepa", "Sowa", "Kmiecik", "Gucwa", "Sarna",
)
NAMED_PEOPLE = (  # placed at seeded ids; the two pairs of namesakes are intended
    ("Zofia", "Wiśniewska", "f"), ("Paweł", "Dąbrowski", "m"),
    ("Katarzyna", "Cecuga-Nowak", "f"), ("Grzegorz", "Brzęczyszczykiewicz", "m"),
    ("Małgorzata", "Nowak", "f"), ("Małgorzata", "Nowak", "f"),
    ("Tomasz", "Mazur", "m"), ("Tomasz", "Mazur", "m"),
)
FIXED_NAMES = frozenset({("Anna", "Kowalska"), ("Łukasz", "Wójcik")})  # ids 1 and 2
FIXED_POSITIONS = MappingProxyType({1: "pracownik socjalny", 2: "kierownik"})
FIXED_EMAILS = MappingProxyType(
    {1: "a.kowalska@mops.krakow.example", 2: "lukasz.wojcik@gops.gdow.example"})

# (as written on the form, e-mail domain without ".example", category)
INSTITUTIONS = (
    ("MOPS Kraków", "mops.krakow", "ops"),
    ("Miejski Ośrodek Pomocy Społecznej w Krakowie", "mops.krakow", "ops"),
    ("MOPS w Krakowie", "mops.krakow", "ops"),
    ("GOPS w Gdowie", "gops.gdow", "ops"),
    ("Gminny Ośrodek Pomocy Społecznej w Dębnie", "gops.debno", "ops"),
    ("MOPS Andrychów", "mops.andrychow", "ops"),
    ("Ośrodek Pomocy Społecznej w Wadowicach", "ops.wadowice", "ops"),
    ("MOPS Bochnia", "mops.bochnia", "ops"),
    ("Miejski Ośrodek Pomocy Społecznej w Tarnowie", "mops.tarnow", "ops"),
    ("MOPS Nowy Sącz", "mops.nowysacz", "ops"),
    ("MOPS w Oświęcimiu", "mops.oswiecim", "ops"),
    ("Ośrodek Pomocy Społecznej w Myślenicach", "ops.myslenice", "ops"),
    ("MOPS Zakopane", "mops.zakopane", "ops"),
    ("MGOPS w Dąbrowie Tarnowskiej", "mgops.dabrowatarnowska", "ops"),
    ("CUS Niepołomice", "cus.niepolomice", "cus"),
    ("Centrum Usług Społecznych w Niepołomicach", "cus.niepolomice", "cus"),
    ("Centrum Usług Społecznych w Limanowej", "cus.limanowa", "cus"),
    ("PCPR Limanowa", "pcpr.limanowa", "pcpr"),
    ("Powiatowe Centrum Pomocy Rodzinie w Bochni", "pcpr.bochnia", "pcpr"),
    ("PCPR w Wadowicach", "pcpr.wadowice", "pcpr"),
    ("PCPR Nowy Sącz", "pcpr.nowysacz", "pcpr"),
    ("Powiatowe Centrum Pomocy Rodzinie w Myślenicach", "pcpr.myslenice", "pcpr"),
    ("PCPR Dąbrowa Tarnowska", "pcpr.dabrowatarnowska", "pcpr"),
    ("PCPR w Oświęcimiu", "pcpr.oswiecim", "pcpr"),
    ("Ośrodek Interwencji Kryzysowej Radocza", "oik.radocza", "oik"),
    ("OIK Tarnów", "oik.tarnow", "oik"),
    ("Ośrodek Interwencji Kryzysowej w Nowym Sączu", "oik.nowysacz", "oik"),
    ("DPS Bochnia", "dps.bochnia", "dps"),
    ("Dom Pomocy Społecznej w Zakopanem", "dps.zakopane", "dps"),
    ("Dom Pomocy Społecznej w Andrychowie", "dps.andrychow", "dps"),
    ("Środowiskowy Dom Samopomocy w Limanowej", "sds.limanowa", "dps"),
    ("Placówka Wsparcia Dziennego w Tarnowie", "pwd.tarnow", "dps"),
    ("Dzienny Dom Senior+ w Myślenicach", "senior.myslenice", "dps"),
    ("Urząd Gminy Gdów", "gdow", "gov"),
    ("Urząd Miejski w Andrychowie", "andrychow", "gov"),
    ("Starostwo Powiatowe w Limanowej", "powiat.limanowa", "gov"),
    ("Urząd Miasta Krakowa", "um.krakow", "gov"),
    ("Urząd Marszałkowski Województwa Małopolskiego", "umwm", "gov"),
    ("Spółdzielnia Socjalna „Razem” w Bochni", "razem.bochnia", "ekonomia"),
    ("Ośrodek Wsparcia Ekonomii Społecznej w Tarnowie", "owes.tarnow", "ekonomia"),
    ("Centrum Integracji Społecznej w Oświęcimiu", "cis.oswiecim", "ekonomia"),
    ("Zakład Aktywności Zawodowej w Dębnie", "zaz.debno", "ekonomia"),
    ("Uniwersytet Jagielloński, Instytut Socjologii", "uj.edu", "uni"),
    ("UKEN Kraków", "uken.edu", "uni"),
    ("Akademia Nauk Stosowanych w Nowym Sączu", "ans.nowysacz", "uni"),
    ("Stowarzyszenie Rodzin Zastępczych „Bezpieczna Przystań”", "przystan.org", "ngo"),
    ("Fundacja Wspólnie dla Seniorów, Wadowice", "wspolnie.org", "ngo"),
    ("Bank Spółdzielczy w Limanowej", "bs.limanowa", "biz"),
)
WEIGHTS = MappingProxyType({"ops": 9, "cus": 5, "pcpr": 6, "oik": 4, "dps": 4, "gov": 3,
                            "ekonomia": 3, "uni": 2, "ngo": 2, "biz": 1})
POSITIONS = MappingProxyType({
    "ops": ("pracownik socjalny", "starszy pracownik socjalny", "specjalista pracy socjalnej",
            "kierownik działu", "asystent rodziny", "zastępca dyrektora", "dyrektor"),
    "cus": ("organizator usług społecznych", "pracownik socjalny", "koordynator",
            "dyrektor", "specjalista ds. usług społecznych"),
    "pcpr": ("koordynator rodzinnej pieczy zastępczej", "psycholog", "pedagog", "kierownik",
             "dyrektor", "specjalista ds. pieczy zastępczej"),
    "oik": ("psycholog", "specjalista ds. przeciwdziałania przemocy", "kierownik", "terapeuta"),
    "dps": ("opiekun", "terapeuta zajęciowy", "kierownik", "dyrektor", "pracownik socjalny"),
    "gov": ("inspektor", "kierownik referatu", "podinspektor", "sekretarz gminy"),
    "ekonomia": ("prezes zarządu", "animator ekonomii społecznej", "doradca", "kierownik"),
    "uni": ("adiunkt", "profesor", "asystent naukowy", "wykładowca"),
    "ngo": ("prezes", "koordynator projektu", "wolontariusz"),
    "biz": ("specjalista ds. CSR", "dyrektor oddziału"),
})
ROPS = (("ROPS Kraków", "rops.krakow"), (ORGANIZER, "rops.krakow"))
PRESS = (("Radio Kraków", "radio.krakow"), ("Gazeta Krakowska", "gazeta.krakow"),
         ("TVP3 Kraków", "tvp3.krakow"), ("Dziennik Polski", "dziennik.krakow"))
GUESTS = (("Ministerstwo Rodziny, Pracy i Polityki Społecznej", "mrpips", "wiceminister"),
          ("Urząd Marszałkowski Województwa Małopolskiego", "umwm", "członek zarządu"),
          ("Małopolski Urząd Wojewódzki", "muw.krakow", "wicewojewoda"),
          ("Senat RP", "senat", "senator"))


@dataclass(frozen=True, slots=True)
class Room:
    venue: str
    name: str


@dataclass(frozen=True, slots=True)
class CongressSession:
    id: int
    kind: Literal["session", "side_event"]
    category: str  # registration, plenary, panel, expert, workshop, ceremony, gala, ...
    title: str
    room: str
    venue: str
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC
    capacity: int | None = None
    registration_required: bool = False


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    first_name: str
    last_name: str
    email: str
    institution: str
    position: str
    role: Role
    badge_revision: int
    status: Literal["active", "cancelled"]
    registered_at: datetime  # UTC, when the registration form was sent

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True, slots=True)
class Signup:
    session_id: int
    attendee_id: int


@dataclass(frozen=True, slots=True)
class Congress:
    seed: int
    event_id: int
    name: str
    organizer: str
    starts_on: date
    ends_on: date
    rooms: tuple[Room, ...]
    sessions: tuple[CongressSession, ...]
    people: tuple[Person, ...]
    registrations: tuple[Signup, ...]
    timezone: str = DEFAULT_TIMEZONE

    def person(self, attendee_id: int) -> Person:
        return next(p for p in self.people if p.id == attendee_id)

    def to_snapshot(self, public_keys: list[str], cursor: str = "demo") -> roster.RosterSnapshot:
        """The full roster a kiosk loads (validated by the contract's own models)."""
        return roster.RosterSnapshot(
            event=roster.EventInfo(
                id=self.event_id, name=self.name, starts_on=self.starts_on,
                ends_on=self.ends_on, timezone=self.timezone, public_keys=list(public_keys),
                help_desk=HELP_DESK,
            ),
            cursor=cursor,
            full=True,
            attendees=[
                roster.Attendee(
                    id=p.id, first_name=p.first_name, last_name=p.last_name,
                    institution=p.institution, role=p.role, badge_revision=p.badge_revision,
                    status=p.status,
                )
                for p in self.people
            ],
            sessions=[
                roster.Session(
                    id=s.id, kind=s.kind, title=s.title, room=s.room, venue=s.venue,
                    starts_at=s.starts_at, ends_at=s.ends_at, capacity=s.capacity,
                    registration_required=s.registration_required,
                )
                for s in self.sessions
            ],
            registrations=[
                roster.Registration(session_id=r.session_id, attendee_id=r.attendee_id)
                for r in self.registrations
            ],
        )


# -- programme --------------------------------------------------------------------------------

HALL = Room(MAIN_VENUE, "Hol główny")
AULA = Room(MAIN_VENUE, "Aula Główna")
S101, S102, S103, S104 = (Room(MAIN_VENUE, f"Sala {n}") for n in (101, 102, 103, 104))
S201 = Room(MAIN_VENUE, "Sala 201")
GALA = Room(GALA_VENUE, "Sala Balowa")
BUS = Room("Centrum Usług Społecznych w Niepołomicach", "Zbiórka: parking przy wejściu A (autokar)")
PODGORZE = Room("Podgórze", "Zbiórka: Rynek Podgórski, przy kościele św. Józefa")
COOP = Room("Kraków, Stare Miasto", "Zbiórka: pl. Szczepański, przy fontannie")
MUSEUM = Room("Muzeum Narodowe w Krakowie", "Zbiórka: Gmach Główny, hol przy kasach")
ROOMS = (HALL, AULA, S101, S102, S103, S104, S201, GALA, BUS, PODGORZE, COOP, MUSEUM)

# (day index, start, end, category, title, room, capacity, filled to capacity)
# Titles of workshops and side events contain no "," or ";": exports list them with those.
PROGRAMME: tuple[tuple[int, str, str, str, str, Room, int | None, bool], ...] = (
    (0, "08:00", "09:30", "registration", "Rejestracja uczestników i kawa powitalna", HALL,
     None, False),
    (0, "09:30", "10:15", "plenary", "Otwarcie Dnia Rodzicielstwa Zastępczego", AULA, None, False),
    (0, "10:15", "12:00", "ceremony",
     "Uroczystość wręczenia wyróżnień rodzinom zastępczym Małopolski", AULA, None, False),
    (0, "12:00", "13:45", "panel", "Panel: Rodzinna piecza zastępcza – wyzwania i kierunki zmian",
     AULA, None, False),
    (0, "13:30", "15:00", "workshop", "Warsztat: Praca z dzieckiem po doświadczeniu traumy", S101,
     30, True),
    (0, "13:30", "15:00", "workshop", "Warsztat: Jak wspierać rodziny zastępcze w kryzysie", S102,
     25, False),
    (0, "14:00", "15:30", "expert", "Sesja ekspercka: Usamodzielnienie wychowanków pieczy",
     AULA, None, False),
    (0, "15:00", "18:00", "side_event", "Gra miejska „Tajemnice Podgórza”", PODGORZE, 40, False),
    (0, "15:45", "17:15", "workshop",
     "Warsztat: Koordynator rodzinnej pieczy zastępczej – narzędzia pracy", S103, 35, False),
    (0, "16:00", "17:30", "session", "Spotkanie dyrektorów rodzinnych domów dziecka", S101,
     None, False),
    (0, "17:30", "19:30", "side_event",
     "Spacer muzealny: dostępność kultury dla osób z niepełnosprawnościami", MUSEUM, 20, True),
    (0, "18:00", "20:00", "session", "Wieczór integracyjny rodzin zastępczych", HALL, None, False),
    (1, "08:00", "09:00", "registration", "Rejestracja i kawa powitalna", HALL, None, False),
    (1, "09:00", "09:30", "plenary", "Otwarcie Kongresu", AULA, None, False),
    (1, "09:30", "11:00", "panel", "Panel plenarny: Dobro dziecka w centrum polityki społecznej",
     AULA, None, False),
    (1, "11:15", "12:45", "panel", "Panel: Przeciwdziałanie przemocy – wspólna odpowiedzialność",
     AULA, None, False),
    (1, "11:15", "12:45", "expert",
     "Sesja ekspercka: Zabezpieczenie społeczne w starzejącym się regionie", S201, None, False),
    (1, "11:15", "12:45", "workshop", "Warsztat: Interdyscyplinarna praca z rodziną", S101, 40,
     False),
    (1, "11:15", "12:45", "workshop", "Warsztat: Superwizja w pomocy społecznej", S102, 25, True),
    (1, "12:30", "13:45", "good_practice", "Prezentacja dobrych praktyk: targi inicjatyw lokalnych",
     HALL, None, False),
    (1, "13:45", "15:15", "panel",
     "Panel: Współpraca instytucji – CUS OPS PCPR i organizacje pozarządowe", AULA, None, False),
    (1, "13:45", "15:15", "expert",
     "Sesja ekspercka: Kadry pomocy społecznej wobec nowych realiów", S201, None, False),
    (1, "13:45", "15:15", "workshop", "Warsztat: Plan deinstytucjonalizacji usług w gminie", S103,
     30, False),
    (1, "13:45", "15:15", "workshop", "Warsztat: Wypalenie zawodowe – profilaktyka w zespole",
     S104, 35, False),
    (1, "15:30", "16:45", "panel", "Panel: Deinstytucjonalizacja – od DPS do usług w społeczności",
     AULA, None, False),
    (1, "15:30", "17:00", "workshop", "Warsztat: Usługi społeczne dla osób starszych", S101, 30,
     False),
    (1, "16:45", "17:30", "good_practice", "Prezentacja dobrych praktyk gmin i powiatów", AULA,
     None, False),
    (1, "17:15", "19:00", "side_event", "Spacer śladami krakowskiej spółdzielczości", COOP, 30,
     False),
    (1, "19:00", "23:00", "gala", "Gala wręczenia nagród Małopolskiej Polityki Społecznej", GALA,
     300, False),
    (2, "08:00", "09:00", "registration", "Kawa i rejestracja", HALL, None, False),
    (2, "09:00", "11:30", "plenary",
     "Spotkanie z przedstawicielami ministerstwa: polityka włączenia społecznego", AULA, None,
     False),
    (2, "12:00", "14:30", "plenary", "Wspólne posiedzenie Krajowego i Regionalnego Komitetu "
     "Rozwoju Ekonomii Społecznej", AULA, None, False),
    (2, "12:00", "17:00", "side_event", "Wizyta studyjna w CUS Niepołomice (autokar)", BUS, 45,
     True),
    (2, "14:30", "15:30", "plenary", "Podsumowanie i zamknięcie Kongresu", AULA, None, False),
)


def _utc(day: date, hhmm: str) -> datetime:
    hour, minute = (int(x) for x in hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=WARSAW).astimezone(UTC)


def _sessions(start: date) -> tuple[tuple[CongressSession, bool], ...]:
    out = []
    for n, (day, begin, end, category, title, room, cap, full) in enumerate(PROGRAMME, 1):
        when = start + timedelta(days=day)
        side = category == "side_event"
        out.append((CongressSession(
            id=n, kind="side_event" if side else "session", category=category, title=title,
            room=room.name, venue=room.venue, starts_at=_utc(when, begin),
            ends_at=_utc(when, end), capacity=cap,
            registration_required=category in ("workshop", "side_event", "gala"),
        ), full))
    return tuple(out)


# -- people -----------------------------------------------------------------------------------


def _feminine(surname: str) -> str:
    return "-".join(p[:-1] + "a" if p.endswith(("ski", "cki", "dzki")) else p
                    for p in surname.split("-"))


def _random_name(rng: random.Random) -> tuple[str, str]:
    female = rng.random() < 0.78  # the sector is mostly women
    first = rng.choice(FEMALE_FIRST if female else MALE_FIRST)
    last = rng.choice(SURNAMES)
    if rng.random() < (0.05 if female else 0.01):
        last = f"{last}-{rng.choice([x for x in SURNAMES if x != last])}"
    return first, _feminine(last) if female else last


def _email(first: str, last: str, domain: str, used: set[str], rng: random.Random) -> str:
    f, last_part = fold(first).replace(" ", ""), fold(last).replace(" ", "")
    options = [f"{f[0]}.{last_part}", f"{f}.{last_part}", f"{f}{last_part}"]
    options += [f"{f}.{last_part}{n}" for n in range(2, 1000)]
    start = 0 if rng.random() < 0.6 else 1
    for local in options[start:]:
        address = f"{local}@{domain}.example"
        if address not in used:
            used.add(address)
            return address
    raise RuntimeError("no free e-mail address")  # pragma: no cover


def _people(rng: random.Random, n: int, starts_on: date) -> tuple[Person, ...]:
    ids = list(range(3, n + 1))
    rng.shuffle(ids)
    quotas: list[tuple[Role, int]] = [
        ("speaker", n * 52 // 520), ("organizer", n * 8 // 520), ("press", n * 4 // 520),
        ("volunteer", n * 10 // 520), ("guest", n * 6 // 520),
    ]
    roles: dict[int, Role] = {}
    for role, count in quotas:
        for _ in range(count):
            if ids:
                roles[ids.pop()] = role
    cancelled = set(ids[: n // 40])
    replaced = set(ids[n // 40: n // 40 + max(1, n // 50)] if ids else ())
    named = dict(zip(rng.sample(range(3, n + 1), min(len(NAMED_PEOPLE), n - 2)), NAMED_PEOPLE,
                     strict=False))
    opened = datetime.combine(starts_on - timedelta(days=60), time(9), tzinfo=WARSAW)
    stamps = sorted(rng.uniform(0, 55 * 86400) for _ in range(n))
    used: set[str] = set(FIXED_EMAILS.values())
    taken_names = set(FIXED_NAMES) | {(first, last) for first, last, _ in NAMED_PEOPLE}
    people = []
    for pid in range(1, n + 1):
        if pid == 1:
            first, last = "Anna", "Kowalska"
        elif pid == 2:
            first, last = "Łukasz", "Wójcik"
        elif pid in named:
            first, last, _ = named[pid]
        else:
            first, last = _random_name(rng)
            while (first, last) in taken_names:  # the only namesakes are the intended ones
                first, last = _random_name(rng)
            taken_names.add((first, last))
        role: Role = roles.get(pid, "participant")
        if role == "organizer":
            institution, domain = rng.choice(ROPS)
            position = rng.choice(("specjalista", "koordynator projektu", "główny specjalista"))
        elif role == "press":
            institution, domain = rng.choice(PRESS)
            position = rng.choice(("dziennikarz", "fotoreporter", "reporter"))
        elif role == "volunteer":
            institution, domain = "Uniwersytet Jagielloński, praca socjalna", "student.uj.edu"
            position = "wolontariusz"
        elif role == "guest":
            institution, domain, position = rng.choice(GUESTS)
        else:
            if pid == 1:
                institution, domain, category = INSTITUTIONS[0]
            elif pid == 2:
                institution, domain, category = INSTITUTIONS[3]
            else:
                institution, domain, category = rng.choices(
                    INSTITUTIONS, [WEIGHTS[c] for _, _, c in INSTITUTIONS])[0]
            if role == "speaker":
                pool = (*POSITIONS["uni"], "ekspert", "trener", "superwizor pracy socjalnej")
            else:
                pool = POSITIONS[category]
            position = rng.choice(pool)
            if rng.random() < 0.2:  # people capitalise as they like
                position = position[0].upper() + position[1:]
            position = FIXED_POSITIONS.get(pid, position)
        if rng.random() < 0.08 and role in ("participant", "speaker"):
            domain = rng.choice(("poczta", "skrzynka", "mail"))  # private addresses
        people.append(Person(
            id=pid, first_name=first, last_name=last,
            email=FIXED_EMAILS.get(pid) or _email(first, last, domain, used, rng),
            institution=institution,
            position=position, role=role, badge_revision=2 if pid in replaced else 1,
            status="cancelled" if pid in cancelled else "active",
            registered_at=(opened + timedelta(seconds=round(stamps[pid - 1]))).astimezone(UTC),
        ))
    return tuple(people)


def _overlaps(a: CongressSession, b: CongressSession) -> bool:
    return a.starts_at < b.ends_at and b.starts_at < a.ends_at


def _registrations(rng: random.Random, sessions: tuple[tuple[CongressSession, bool], ...],
                   people: tuple[Person, ...]) -> tuple[Signup, ...]:
    booked: dict[int, list[CongressSession]] = {p.id: [] for p in people}
    out: list[Signup] = []

    def book(session: CongressSession, pid: int) -> None:
        booked[pid].append(session)
        out.append(Signup(session.id, pid))

    attending = [p.id for p in people if p.status == "active"
                 and p.role in ("participant", "speaker", "guest") and p.id != 2]
    # Anna Kowalska (id 1) always has the first workshop of day 1; Łukasz Wójcik (id 2) none.
    first_workshop = next(s for s, _ in sessions if s.category == "workshop")
    if 1 in booked:
        book(first_workshop, 1)
    for session, full in sessions:
        if not session.registration_required or session.capacity is None:
            continue
        cap = session.capacity
        if session.category == "gala":
            pool = [p.id for p in people if p.status == "active" and p.id != 2]
            target = cap * 9 // 10
        else:
            pool = list(attending)
            target = cap if full else rng.randint(cap * 3 // 5, cap - 1)
        rng.shuffle(pool)
        taken = sum(1 for r in out if r.session_id == session.id)
        for pid in pool:
            if taken >= target:
                break
            if session in booked[pid] or any(_overlaps(session, s) for s in booked[pid]):
                continue
            book(session, pid)
            taken += 1
    return tuple(sorted(out, key=lambda r: (r.session_id, r.attendee_id)))


def generate_congress(*, seed: int = 2026, attendees: int = 520, start: date | None = None,
                      event_id: int = 1) -> Congress:
    """A three-day congress from ``start`` (default: today in Warsaw), same data per seed."""
    if attendees < 2:
        raise ValueError("a demo congress needs at least 2 attendees")
    if start is None:
        start = datetime.now(WARSAW).date()
    rng = random.Random(f"bramka-demo/{seed}")
    sessions = _sessions(start)
    people = _people(rng, attendees, start)
    return Congress(
        seed=seed, event_id=event_id,
        name=f"Małopolski Kongres Polityki Społecznej {start.year}", organizer=ORGANIZER,
        starts_on=start, ends_on=start + timedelta(days=2), rooms=ROOMS,
        sessions=tuple(s for s, _ in sessions), people=people,
        registrations=_registrations(rng, sessions, people),
    )


# -- badges -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemoBadge:
    token: str
    attendee_id: int | None  # None for a forgery: it only claims to be someone
    expected: BadgeKind
    label: str


def forger_key(seed: int) -> Ed25519PrivateKey:
    """The stranger's key that signs the forged demo badges (fixed per seed)."""
    return Ed25519PrivateKey.from_private_bytes(random.Random(f"forger/{seed}").randbytes(32))


def demo_badges(congress: Congress, key: Ed25519PrivateKey, *, forged: int = 5,
                revoked: int = 5) -> list[DemoBadge]:
    """Tokens for the demo camera, shuffled deterministically.

    valid: every active person's current badge; revoked: the revision-1 badge of people whose
    badge was replaced (at most ``revoked``); cancelled: the badge of each cancelled person;
    forged: ``forged`` tokens for real attendee ids signed by :func:`forger_key`.
    """
    rng = random.Random(f"bramka-badges/{congress.seed}")
    eid = congress.event_id
    out = []
    for p in congress.people:
        if p.status == "cancelled":
            out.append(DemoBadge(token.issue(key, eid, p.id, p.badge_revision), p.id,
                                 "cancelled", p.full_name))
        else:
            out.append(DemoBadge(token.issue(key, eid, p.id, p.badge_revision), p.id, "valid",
                                 p.full_name))
    replaced = [p for p in congress.people if p.badge_revision > 1 and p.status == "active"]
    for p in replaced[:revoked]:
        out.append(DemoBadge(token.issue(key, eid, p.id, p.badge_revision - 1), p.id, "revoked",
                             f"{p.full_name} (stary identyfikator)"))
    stranger = forger_key(congress.seed)
    for p in rng.sample(list(congress.people), min(forged, len(congress.people))):
        out.append(DemoBadge(token.issue(stranger, eid, p.id, p.badge_revision), None, "forged",
                             f"podrobiony: {p.full_name}"))
    rng.shuffle(out)
    return out


# -- registration exports ---------------------------------------------------------------------

CONSENT = "Wyrażam zgodę na przetwarzanie moich danych osobowych w celu organizacji Kongresu"
CSV_FORMATS = MappingProxyType({  # flavour: (encoding, delimiter)
    "google": ("utf-8", ","), "excel_pl": ("cp1250", ";"), "msforms": ("utf-8-sig", ","),
})
HEADERS = MappingProxyType({
    "google": ("Sygnatura czasowa", "Imię", "Nazwisko", "Adres e-mail", "Instytucja",
               "Stanowisko", "Warsztaty", "Wydarzenia towarzyszące", "Udział w gali", CONSENT),
    "excel_pl": ("Lp.", "Data zgłoszenia", "Imię", "Nazwisko", "Adres e-mail", "Instytucja",
                 "Stanowisko", "Warsztaty", "Wydarzenia towarzyszące", "Udział w gali"),
    "msforms": ("ID", "Godzina rozpoczęcia", "Godzina ukończenia", "Adres e-mail", "Nazwa",
                "Imię", "Nazwisko", "Instytucja", "Stanowisko", "Warsztaty",
                "Wydarzenia towarzyszące", "Udział w gali"),
})


def write_registration_csv(congress: Congress, path: Path | str, *,
                           flavour: CsvFlavour = "google") -> Path:
    """Write every person's form answers the way ``flavour`` exports them; return the path.

    google: UTF-8, ",", choices joined with ", "; excel_pl: Windows-1250, ";", choices
    joined with ", "; msforms: UTF-8 with BOM, ",", choices each followed by ";".
    Times are Warsaw local time, in each tool's own format.
    """
    if flavour not in CSV_FORMATS:
        raise ValueError(f"unknown CSV flavour {flavour!r}")
    encoding, delimiter = CSV_FORMATS[flavour]
    by_id = {s.id: s for s in congress.sessions}
    chosen: dict[int, list[CongressSession]] = {p.id: [] for p in congress.people}
    for r in congress.registrations:
        chosen[r.attendee_id].append(by_id[r.session_id])

    def join(titles: list[str]) -> str:
        return "".join(f"{t};" for t in titles) if flavour == "msforms" else ", ".join(titles)

    rows: list[list[str]] = [list(HEADERS[flavour])]
    people = sorted(congress.people, key=lambda p: p.registered_at)
    for n, p in enumerate(people, 1):
        sent = p.registered_at.astimezone(WARSAW)
        picks = chosen[p.id]
        answers = [
            p.first_name, p.last_name, p.email, p.institution, p.position,
            join([s.title for s in picks if s.category == "workshop"]),
            join([s.title for s in picks if s.kind == "side_event"]),
            "Tak" if any(s.category == "gala" for s in picks) else "Nie",
        ]
        if flavour == "google":
            rows.append([sent.strftime("%d.%m.%Y %H:%M:%S"), *answers, "Tak"])
        elif flavour == "excel_pl":
            rows.append([str(n), sent.strftime("%d.%m.%Y %H:%M"), *answers])
        else:
            began = sent - timedelta(seconds=90 + p.id % 240)
            stamp = "{d.month}/{d.day}/{d:%y} {d.hour}:{d:%M:%S}".format
            name_first, name_last, _, *rest = answers  # the e-mail comes from the account
            rows.append([str(n), stamp(d=began), stamp(d=sent), p.email, p.full_name,
                         name_first, name_last, *rest])
    target = Path(path)
    with target.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return target


__all__ = [
    "CSV_FORMATS", "Congress", "CongressSession", "DemoBadge", "Person", "Room", "Signup",
    "demo_badges", "forger_key", "generate_congress", "write_registration_csv",
]
