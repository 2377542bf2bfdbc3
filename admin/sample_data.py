"""Realistic made-up registrations, written as the exports organizers really receive.

Used by the tests, the benchmark and demos: Google Forms CSV, Microsoft Forms XLSX, Polish
Excel's semicolon-separated Windows-1250 CSV. Deterministic for a given seed.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from admin.textnorm import fold

FIRST_F = ["Anna", "Małgorzata", "Zofia", "Katarzyna", "Agnieszka", "Joanna", "Ewa", "Magdalena",
           "Beata", "Dorota", "Elżbieta", "Barbara", "Jadwiga", "Marta", "Urszula", "Grażyna"]
FIRST_M = ["Łukasz", "Paweł", "Piotr", "Tomasz", "Krzysztof", "Andrzej", "Michał", "Marcin",
           "Jakub", "Grzegorz", "Wojciech", "Stanisław", "Józef", "Mateusz", "Rafał", "Sławomir"]
LAST = ["Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski",
        "Zieliński", "Szymański", "Woźniak", "Dąbrowski", "Kozłowski", "Jankowski", "Mazur",
        "Kwiatkowski", "Krawczyk", "Piotrowski", "Grabowski", "Nowakowski", "Pawłowski",
        "Michalski", "Król", "Wieczorek", "Jabłoński", "Wróbel", "Majewski", "Olszewski",
        "Stępień", "Malinowski", "Jaworski", "Adamczyk", "Dudek", "Nowicki", "Pawlak", "Górski",
        "Witkowski", "Walczak", "Sikora", "Baran", "Rutkowski", "Michalak", "Szewczyk",
        "Ostrowski", "Tomaszewski", "Pietrzak", "Marciniak", "Wróblewski", "Zalewski", "Jakubowski",
        "Jasiński", "Zawadzki", "Sadowski", "Bąk", "Chmielewski", "Włodarczyk", "Borkowski",
        "Czarnecki", "Sawicki", "Sokołowski", "Urbański", "Kubiak", "Maciejewski", "Szczepański",
        "Kucharski", "Wilk", "Kalinowski", "Lis", "Mazurek", "Wysocki", "Adamski", "Kaźmierczak",
        "Wasilewski", "Sobczak", "Czerwiński", "Andrzejewski", "Cieślak", "Głowacki", "Zakrzewski",
        "Kołodziej", "Sikorski", "Krajewski", "Gajewski", "Szymczak", "Szulc", "Baranowski",
        "Laskowski", "Brzeziński", "Makowski", "Ziółkowski", "Przybylski", "Cecuga-Nowak"]
TOWNS = ["Kraków", "Andrychów", "Bochnia", "Gdów", "Dębno", "Wadowice", "Limanowa",
         "Dąbrowa Tarnowska", "Niepołomice", "Tarnów", "Nowy Sącz", "Oświęcim", "Myślenice",
         "Zakopane"]
INSTITUTION_KINDS = ["MOPS", "GOPS", "OPS", "PCPR", "CUS", "DPS", "Ośrodek Interwencji Kryzysowej",
                     "Miejski Ośrodek Pomocy Społecznej w", "Powiatowe Centrum Pomocy Rodzinie w",
                     "Centrum Usług Społecznych w", "Urząd Gminy", "Starostwo Powiatowe w"]
POSITIONS = ["pracownik socjalny", "starszy pracownik socjalny", "kierownik", "dyrektor",
             "asystent rodziny", "psycholog", "koordynator pieczy zastępczej", "specjalista",
             "pedagog", "inspektor"]
ROLES_PL = ["uczestnik"] * 20 + ["prelegent", "media", "gość honorowy", "organizator"]
WORKSHOPS = ["Warsztat: piecza zastępcza", "Gra miejska po Podgórzu"]


@dataclass(frozen=True)
class Registrant:
    first_name: str
    last_name: str
    email: str
    institution: str
    position: str
    role: str
    workshops: str
    submitted: datetime


def _feminine(last: str) -> str:
    for suffix, fem in (("ski", "ska"), ("cki", "cka"), ("dzki", "dzka")):
        if last.endswith(suffix):
            return last[: -len(suffix)] + fem
    return last


def registrants(n: int, seed: int = 1) -> list[Registrant]:
    """``n`` people; e-mails unique, names repeat as in real life."""
    rnd = random.Random(seed)
    out: list[Registrant] = []
    start = datetime(2026, 4, 1, 9, 0)
    for i in range(n):
        female = rnd.random() < 0.7  # the sector employs mostly women
        first = rnd.choice(FIRST_F if female else FIRST_M)
        last = rnd.choice(LAST)
        last = _feminine(last) if female else last
        town = rnd.choice(TOWNS)
        kind = rnd.choice(INSTITUTION_KINDS)
        institution = f"{kind} {town}" if not kind.endswith(" w") else f"{kind} {town}"
        email = f"{fold(first)}.{fold(last).replace(' ', '-')}.{i}@{fold(kind).split()[0]}.pl"
        workshops = ", ".join(w for w in WORKSHOPS if rnd.random() < 0.3)
        out.append(Registrant(first, last, email, institution, rnd.choice(POSITIONS),
                              rnd.choice(ROLES_PL), workshops,
                              start + timedelta(minutes=7 * i + rnd.randint(0, 6))))
    return out


GOOGLE_HEADERS = ["Sygnatura czasowa", "Adres e-mail", "Imię", "Nazwisko", "Instytucja",
                  "Stanowisko", "Rola", "Warsztaty", "Zgoda na przetwarzanie danych osobowych"]


def google_forms_csv(people: list[Registrant]) -> bytes:
    """Google Forms (Polish UI) -> Sheets -> Download CSV: UTF-8 without BOM, commas."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(GOOGLE_HEADERS)
    for p in people:
        w.writerow([p.submitted.strftime("%Y/%m/%d %I:%M:%S %p") + " CEST", p.email,
                    p.first_name, p.last_name, p.institution, p.position, p.role, p.workshops,
                    "Tak"])
    return buf.getvalue().encode("utf-8")


def polish_excel_csv(people: list[Registrant]) -> bytes:
    """Polish Excel "CSV (rozdzielany przecinkami)": semicolons, Windows-1250, CRLF."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(["Lp.", "Imię", "Nazwisko", "Adres e-mail", "Nazwa instytucji", "Stanowisko",
                "Warsztaty"])
    for i, p in enumerate(people, 1):
        w.writerow([i, p.first_name, p.last_name, p.email, p.institution, p.position,
                    p.workshops])
    return buf.getvalue().encode("cp1250")


def english_bom_csv(people: list[Registrant]) -> bytes:
    """An English form exported as UTF-8 with BOM, full names in one column."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["Timestamp", "Full name", "Email address", "Organization", "Job title"])
    for p in people:
        w.writerow([p.submitted.isoformat(), f"{p.first_name} {p.last_name}", p.email,
                    p.institution, p.position])
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")


def microsoft_forms_xlsx(people: list[Registrant]) -> bytes:
    """Microsoft Forms (Polish UI) "Otwórz w programie Excel": metadata columns first."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Form1"
    ws.append(["Identyfikator", "Godzina rozpoczęcia", "Godzina ukończenia", "Adres e-mail",
               "Nazwa", "Imię", "Nazwisko", "Proszę podać adres e-mail", "Instytucja",
               "Stanowisko", "Warsztaty"])
    for i, p in enumerate(people, 1):
        ws.append([i, p.submitted, p.submitted + timedelta(minutes=3), "anonymous", None,
                   p.first_name, p.last_name, p.email, p.institution, p.position,
                   p.workshops.replace(", ", ";") + (";" if p.workshops else "")])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
