"""Registration files as they really arrive, turned into an import plan. Pure: no Flask, no DB.

``read_table`` decodes CSV (UTF-8 with or without BOM, UTF-16 from Excel's "Unicode text",
Windows-1250 from Polish Excel; comma, semicolon or tab) and XLSX. ``guess_mapping`` finds
the columns by their Polish or English headers; ``explicit_mapping`` takes them from the user.
``extract`` validates rows; ``plan_import`` matches them against the people already known
(by e-mail, then by name + institution) so that a re-import updates instead of duplicating.
Sessions come from a free-text column ("Warsztaty": names of workshops) and from yes/no
columns, one per session or side event (``admin.import_program``).
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property

from admin.import_program import (
    Note,
    ProgramColumn,
    answer,
    column_notes,
    is_choice_column,
    program_columns,
)
from admin.textnorm import clean, fold, tidy, tidy_name
from sync.words import BilingualError, BilingualMixin

FIELDS = ("first_name", "last_name", "full_name", "email", "institution", "position", "role",
          "sessions", "side_events")
FIELD_LABELS = {
    "first_name": ("Imię", "First name"),
    "last_name": ("Nazwisko", "Last name"),
    "full_name": ("Imię i nazwisko", "Full name"),
    "email": ("E-mail", "E-mail"),
    "institution": ("Instytucja", "Institution"),
    "position": ("Stanowisko", "Position"),
    "role": ("Rola", "Role"),
    "sessions": ("Warsztaty / wydarzenia", "Workshops / side events"),
    "side_events": ("Wydarzenia towarzyszące", "Side events"),
}
# Longest value kept per field: what the database columns hold (admin/schema.py people).
LIMITS = {"first_name": 200, "last_name": 200, "full_name": 400, "email": 320,
          "institution": 500, "position": 300, "role": 100, "sessions": 4000,
          "side_events": 4000}
# More line breaks than this inside one field: the rest of the file went into it.
MAX_FIELD_LINES = 20
# A column holding the sheet's own running number ("Lp.", "Nr"): named in messages and
# not counted as content (a row "4,,,," is an empty row).
NUMBER_HEADERS = ("nr", "lp", "l p", "no", "numer", "nr porzadkowy", "numer porzadkowy",
                  "liczba porzadkowa", "id", "identyfikator", "nr zgloszenia",
                  "numer zgloszenia")
_INTEGER = re.compile(r"^\d{1,9}\.?$")

# Folded header texts. "exact" ones must equal the header; "contains" may appear in a longer
# question ("Proszę podać adres e-mail").
_EXACT: dict[str, tuple[str, ...]] = {
    "first_name": ("imie", "imiona", "first name", "firstname", "given name", "name first"),
    "last_name": ("nazwisko", "last name", "lastname", "surname", "family name"),
    "full_name": ("imie i nazwisko", "imie nazwisko", "nazwisko i imie", "full name", "name",
                  "nazwa", "uczestnik", "name and surname", "participant"),
    "email": ("adres e mail", "e mail", "email", "adres email", "email address",
              "e mail address", "mail", "adres poczty elektronicznej"),
    "institution": ("instytucja", "nazwa instytucji", "organizacja", "institution",
                    "organization", "organisation", "miejsce pracy", "employer", "jednostka",
                    "nazwa jednostki", "company", "firma", "affiliation", "instytucja organizacja",
                    "reprezentowana instytucja"),
    "position": ("stanowisko", "position", "job title", "funkcja", "zajmowane stanowisko"),
    "role": ("rola", "role", "typ uczestnictwa", "rodzaj uczestnictwa", "kategoria uczestnika",
             "participant type", "udzial jako"),
    "sessions": ("warsztaty", "workshops", "sesje", "sessions", "wybrane warsztaty",
                 "warsztaty i wydarzenia towarzyszace"),
    # Forms often ask for workshops and side events in two questions: both register.
    "side_events": ("wydarzenia towarzyszace", "side events", "wybrane wydarzenia towarzyszace"),
}
_CONTAINS: dict[str, tuple[str, ...]] = {
    "first_name": ("imie", "first name", "given name"),
    "last_name": ("nazwisko", "last name", "surname"),
    "full_name": ("imie i nazwisko", "full name", "nazwisko i imie"),
    "email": ("e mail", "email"),
    "institution": ("instytucj", "organizacj", "institution", "organization", "organisation",
                    "miejsce pracy", "employer"),
    "position": ("stanowisk", "job title", "position"),
    "role": ("rola", "role"),
    "sessions": ("warsztat", "workshop"),
    "side_events": ("wydarzenia towarzyszace", "side event"),
}
ROLES = {
    "uczestnik": "participant", "uczestniczka": "participant", "participant": "participant",
    "attendee": "participant", "prelegent": "speaker", "prelegentka": "speaker",
    "mowca": "speaker", "speaker": "speaker", "panelista": "speaker", "panelistka": "speaker",
    "ekspert": "speaker", "ekspertka": "speaker", "organizator": "organizer",
    "organizer": "organizer", "organiser": "organizer", "media": "press", "prasa": "press",
    "press": "press", "dziennikarz": "press", "dziennikarka": "press", "wolontariusz": "volunteer",
    "wolontariuszka": "volunteer", "volunteer": "volunteer", "gosc": "guest",
    "gosc honorowy": "guest", "guest": "guest", "guest of honour": "guest",
    "guest of honor": "guest", "vip": "guest",
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ImportFileError(BilingualError):
    """The file cannot be imported at all; nothing was changed."""

    code = "import_file_unusable"


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]  # data rows; rows[i] is spreadsheet row first_row + i
    kind: str  # csv | xlsx
    encoding: str = ""
    delimiter: str = ""
    first_row: int = 2  # the header is the row before (after any blank rows on top)

    def column_name(self, col: int) -> str:
        """The header as written, or the spreadsheet's column letter when it has none."""
        if col < len(self.headers) and self.headers[col]:
            return self.headers[col]
        return column_letter(col)


def column_letter(col: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# -- reading -----------------------------------------------------------------------------------


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes; return (text, encoding name)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise ImportFileError("Plik UTF-16 jest uszkodzony",
                                  "The UTF-16 file is damaged") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1250"), "cp1250"
    except UnicodeDecodeError:
        return data.decode("iso-8859-2"), "iso-8859-2"


def _delimiter(text: str) -> str:
    first = ""
    for line in text.splitlines():
        if line.strip():
            first = line
            break
    counts = {d: 0 for d in (",", ";", "\t")}
    quoted = False
    for ch in first:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _split_header(rows: list[list[str]], kind: str, encoding: str = "",
                  delimiter: str = "") -> Table:
    skipped = 0
    while skipped < len(rows) and not any(tidy(c) for c in rows[skipped]):
        skipped += 1
    rows = rows[skipped:]
    if not rows:
        raise ImportFileError("Plik jest pusty", "The file is empty")
    headers = [tidy(h) for h in rows[0]]
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise ImportFileError("Pierwszy wiersz nie zawiera nagłówków",
                              "The first row has no headers")
    return Table(headers, rows[1:], kind, encoding, delimiter, first_row=skipped + 2)


def read_csv(data: bytes) -> Table:
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError("To nie jest plik tekstowy CSV", "This is not a CSV text file")
    text, encoding = decode_text(data)
    delimiter = _delimiter(text)
    try:
        rows = [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise ImportFileError(f"Nie da się odczytać CSV: {exc}",
                              f"Cannot read the CSV: {exc}") from None
    return _split_header(rows, "csv", encoding, delimiter)


def read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles Forms exports lack
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ImportFileError(f"Plik XLSX jest uszkodzony ({exc})",
                              f"The XLSX file is damaged ({exc})") from None
    try:
        ws = wb.worksheets[0]
        rows = [[_cell(v) for v in row] for row in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
    return _split_header(rows, "xlsx")


def read_table(data: bytes, filename: str = "") -> Table:
    """Read a CSV or XLSX file (by content; the name only breaks ties)."""
    if not data.strip():
        raise ImportFileError("Plik jest pusty", "The file is empty")
    if data.startswith(b"PK\x03\x04"):
        return read_xlsx(data)
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise ImportFileError("Plik XLSX jest uszkodzony", "The XLSX file is damaged")
    if filename.lower().endswith(".xls") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError("Stary format .xls: zapisz plik jako .xlsx lub CSV",
                              "Old .xls format: save the file as .xlsx or CSV")
    return read_csv(data)


# -- mapping -----------------------------------------------------------------------------------


def _contains_words(header: str, alias: str) -> bool:
    return f" {alias}" in f" {header} "


def _email_share(table: Table, col: int, sample: int = 200) -> float:
    values = [r[col] for r in table.rows[:sample] if col < len(r) and r[col].strip()]
    return sum(1 for v in values if _EMAIL.match(v.strip())) / len(values) if values else 0.0


def _two_word_share(table: Table, col: int, sample: int = 200) -> float:
    values = [r[col] for r in table.rows[:sample] if col < len(r) and r[col].strip()]
    return sum(1 for v in values if len(v.split()) >= 2) / len(values) if values else 0.0


def _is_choice(table: Table, col: int, sample: int = 500) -> bool:
    return is_choice_column([r[col] for r in table.rows[:sample] if col < len(r)])


def guess_mapping(table: Table) -> dict[str, int]:
    """Field name -> column index, from the headers (and a look at the values).

    A yes/no column is never the free-text workshops column, whatever its header says
    ("Warsztat: piecza zastępcza" answered "Tak"): it is a program column.
    """
    folded = [fold(h) for h in table.headers]
    scores: list[tuple[float, str, int]] = []
    choice: dict[int, bool] = {}
    for fname in FIELDS:
        for col, header in enumerate(folded):
            if not header:
                continue
            if fname in ("sessions", "side_events"):
                if col not in choice:
                    choice[col] = _is_choice(table, col)
                if choice[col]:
                    continue
            if header in _EXACT[fname]:
                score = 3.0
            elif any(_contains_words(header, a) for a in _CONTAINS[fname]):
                score = 1.0
            else:
                continue
            if fname == "email":
                score += 4 * _email_share(table, col)
            elif fname == "full_name":
                score += _two_word_share(table, col)
            else:
                score += col / 1000  # Forms put metadata first: prefer the later question
            scores.append((score, fname, col))
    mapping: dict[str, int] = {}
    used: set[int] = set()
    for _score, fname, col in sorted(scores, reverse=True):
        if fname in mapping or col in used:
            continue
        mapping[fname] = col
        used.add(col)
    if "first_name" in mapping and "last_name" in mapping:
        mapping.pop("full_name", None)
    return mapping


def explicit_mapping(table: Table, spec: dict[str, str]) -> dict[str, int]:
    """The user's mapping: field -> header text, column letter (A, B...) or 1-based number."""
    mapping: dict[str, int] = {}
    folded = [fold(h) for h in table.headers]
    for fname, ref in spec.items():
        if fname not in FIELDS:
            raise ImportFileError(f"Nieznane pole: {fname}", f"Unknown field: {fname}")
        ref = ref.strip()
        if not ref:
            continue
        if ref.isdigit() and 1 <= int(ref) <= len(table.headers):
            mapping[fname] = int(ref) - 1
        elif fold(ref) in folded:
            mapping[fname] = folded.index(fold(ref))
        elif re.fullmatch(r"[A-Za-z]{1,2}", ref):
            idx = 0
            for ch in ref.upper():
                idx = idx * 26 + (ord(ch) - 64)
            if idx > len(table.headers):
                raise ImportFileError(f"Nie ma kolumny {ref}", f"No column {ref}")
            mapping[fname] = idx - 1
        else:
            raise ImportFileError(f"Nie ma kolumny „{ref}”", f"No column '{ref}'")
    return mapping


def check_mapping(table: Table, mapping: dict[str, int]) -> None:
    if not (("first_name" in mapping and "last_name" in mapping) or "full_name" in mapping):
        raise ImportFileError(
            "Nie rozpoznano kolumn z imieniem i nazwiskiem. Wskaż je ręcznie. Kolumny: "
            + ", ".join(table.headers),
            "Could not find the name columns. Map them by hand. Columns: "
            + ", ".join(table.headers),
        )


# -- rows --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    row: int
    first_name: str
    last_name: str
    email: str | None
    institution: str
    position: str
    role: str | None
    sessions: str
    program: tuple[int, ...] = ()  # sessions from yes/no columns answered "yes"
    unclear: tuple[tuple[str, str], ...] = ()  # (column, answer) neither yes nor no

    @cached_property
    def email_norm(self) -> str | None:
        return self.email.lower() if self.email else None

    @cached_property
    def name_key(self) -> str:
        return fold(f"{self.first_name} {self.last_name}")

    @cached_property
    def institution_key(self) -> str:
        return fold(self.institution)


@dataclass(frozen=True)
class Rejected(BilingualMixin):
    """A row the import leaves out, and why (read as every pair: ``sync.words``)."""

    row: int
    pl: str
    en: str


def split_full_name(text: str) -> tuple[str, str]:
    parts = text.split()
    if len(parts) < 2:
        return (text, "")
    return (" ".join(parts[:-1]), parts[-1])


def _value(cells: Sequence[str], col: int | None) -> str:
    if col is None or col >= len(cells):
        return ""
    return clean(cells[col])


def number_column(table: Table, mapping: dict[str, int]) -> int | None:
    """The sheet's running-number column ("Lp.", "Nr", "#"), if it has one.

    A column without a header whose values are all whole numbers counts too.
    """
    used = set(mapping.values())
    for col, header in enumerate(table.headers):
        if col not in used and (fold(header) in NUMBER_HEADERS or header.strip() == "#"):
            return col
    for col, header in enumerate(table.headers):
        if col in used or header:
            continue
        values = [tidy(r[col]) for r in table.rows[:200] if col < len(r) and tidy(r[col])]
        if values and all(_INTEGER.match(v) for v in values):
            return col
    return None


def row_numbers(table: Table, mapping: dict[str, int]) -> dict[int, str]:
    """Spreadsheet row -> the value of the sheet's own number column (when it has one)."""
    col = number_column(table, mapping)
    if col is None:
        return {}
    out: dict[int, str] = {}
    for i, cells in enumerate(table.rows):
        value = tidy(_value(cells, col)).rstrip(".")
        if value:
            out[table.first_row + i] = value
    return out


def _swallowed_lines(value: str, table: Table) -> int:
    """How many lines of the file an unclosed quote pulled into this field (0: none).

    A field may hold line breaks ("Dom Pomocy\nSpołecznej"); it swallowed rows when it holds
    more than MAX_FIELD_LINES of them, or a later line looks like a row of the file.
    """
    if "\n" not in value or table.kind != "csv":
        return 0
    later = [line for line in value.split("\n")[1:] if line.strip()]
    if len(later) > MAX_FIELD_LINES:
        return len(later)
    enough = max(1, len(table.headers) // 2)
    return len(later) if any(line.count(table.delimiter) >= enough for line in later) else 0


def _field_problem(table: Table, mapping: dict[str, int], raw: dict[str, str],
                   rownum: int) -> Rejected | None:
    """A field that cannot be a value: the rest of the file after an unclosed quote, or
    longer than its column holds. Says which column, how long, and the limit."""
    for fname, col in mapping.items():
        value = raw[fname]
        column = table.column_name(col)
        lines = _swallowed_lines(value, table)
        if lines:
            return Rejected(
                rownum,
                f"uszkodzony wiersz: niedomknięty cudzysłów w kolumnie „{column}” "
                f"(pole obejmuje {lines} kolejnych linii pliku; te wiersze nie zostały "
                f"odczytane)",
                f"damaged row: unclosed quote in column '{column}' (the field runs over "
                f"{lines} more lines of the file; those rows were not read)")
        length = len(tidy(value))
        if length > LIMITS[fname]:
            return Rejected(
                rownum,
                f"za długa wartość w kolumnie „{column}”: {length} znaków, "
                f"dozwolone najwyżej {LIMITS[fname]}",
                f"value too long in column '{column}': {length} characters, "
                f"the limit is {LIMITS[fname]}")
    return None


def _program_answers(cells: Sequence[str], program: Sequence[ProgramColumn]
                     ) -> tuple[tuple[int, ...], tuple[tuple[str, str], ...]]:
    ids: list[int] = []
    unclear: list[tuple[str, str]] = []
    for pc in program:
        if pc.session_id is None:
            continue
        value = _value(cells, pc.col)
        said = answer(value)
        if said is None:
            unclear.append((pc.header, tidy(value)))
        elif said and pc.session_id not in ids:
            ids.append(pc.session_id)
    return tuple(ids), tuple(unclear)


def extract(table: Table, mapping: dict[str, int], program: Sequence[ProgramColumn] = ()
            ) -> tuple[list[Candidate], list[Rejected], int]:
    """Validate every data row: (good rows, rejected rows with reasons, count of empty rows).

    A row is empty when nothing but the sheet's running number is in it. ``program``: the
    yes/no columns and the sessions they register for.
    """
    check_mapping(table, mapping)
    good: list[Candidate] = []
    bad: list[Rejected] = []
    empty = 0
    number_col = number_column(table, mapping)
    for i, cells in enumerate(table.rows):
        rownum = table.first_row + i
        if not any(tidy(c) for col, c in enumerate(cells) if col != number_col):
            empty += 1
            continue
        raw = {f: _value(cells, mapping.get(f)) for f in FIELDS}
        problem = _field_problem(table, mapping, raw, rownum)
        if problem is not None:
            bad.append(problem)
            continue
        first, last = tidy_name(raw["first_name"]), tidy_name(raw["last_name"])
        if not first and not last and raw["full_name"].strip():
            first, last = split_full_name(tidy_name(raw["full_name"]))
        email = tidy(raw["email"]).strip("<>").replace(" ", "") or None
        if not first:
            bad.append(Rejected(rownum, "brak imienia", "first name missing"))
            continue
        if not last:
            bad.append(Rejected(rownum, "brak nazwiska", "last name missing"))
            continue
        if email is not None and not _EMAIL.match(email):
            bad.append(Rejected(rownum, f"nieprawidłowy adres e-mail: {email}",
                                f"invalid e-mail address: {email}"))
            continue
        if len(first) > LIMITS["first_name"] or len(last) > LIMITS["last_name"]:
            # Only when one full name was split: each part must fit its column.
            bad.append(Rejected(
                rownum, f"za długie imię lub nazwisko: dozwolone {LIMITS['first_name']} znaków",
                f"first or last name too long: the limit is {LIMITS['first_name']} characters"))
            continue
        institution, position = tidy(raw["institution"]), tidy(raw["position"])
        role_text = fold(raw["role"])
        role = ROLES.get(role_text) if role_text else None
        chosen = "; ".join(t for t in (tidy(raw["sessions"]), tidy(raw["side_events"])) if t)
        ids, unclear = _program_answers(cells, program) if program else ((), ())
        good.append(Candidate(rownum, first, last, email, institution, position, role, chosen,
                              ids, unclear))
    return good, bad, empty


# -- planning ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Existing:
    id: int
    first_name: str
    last_name: str
    email: str | None
    institution: str
    position: str
    role: str

    @property
    def name_key(self) -> str:
        return fold(f"{self.first_name} {self.last_name}")


@dataclass
class Update:
    person_id: int
    candidate: Candidate
    changes: dict[str, tuple[object, object]]


@dataclass
class Plan:
    creates: list[Candidate] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    unchanged: list[tuple[int, Candidate]] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    superseded: list[tuple[int, int]] = field(default_factory=list)  # (row, by row)
    warnings: list[Rejected] = field(default_factory=list)
    empty_rows: int = 0
    # row number -> session ids the row registers for
    sessions: dict[int, list[int]] = field(default_factory=dict)
    # The sheet's own number column ("Lp.") and its value per spreadsheet row.
    number_header: str = ""
    numbers: dict[int, str] = field(default_factory=dict)
    # Yes/no columns (one per session or side event) and warnings about whole columns.
    program_columns: list[ProgramColumn] = field(default_factory=list)
    column_notes: list[Note] = field(default_factory=list)

    def where(self, row: int) -> str:
        """A row as people find it: '7 (Lp. 5)', or '7' when the sheet has no number column."""
        number = self.numbers.get(row)
        return f"{row} ({self.number_header} {number})" if number else str(row)

    @property
    def total_rows(self) -> int:
        return (len(self.creates) + len(self.updates) + len(self.unchanged) + len(self.rejected)
                + len(self.superseded) + self.empty_rows)

    def summary(self) -> dict[str, int]:
        return {
            "created": len(self.creates), "updated": len(self.updates),
            "unchanged": len(self.unchanged), "rejected": len(self.rejected),
            "superseded": len(self.superseded), "empty": self.empty_rows,
            "registrations": sum(len(v) for v in self.sessions.values()),
        }


def match_sessions(text: str, sessions: Iterable[tuple[int, str]]) -> tuple[list[int], str]:
    """Session ids named in a cell ('Warsztat A, Gra miejska'), and what was left unmatched."""
    rest = f" {fold(text)} "
    found: list[int] = []
    for sid, title in sorted(sessions, key=lambda s: -len(fold(s[1]))):
        key = fold(title)
        if key and f" {key} " in rest:
            found.append(sid)
            rest = rest.replace(f" {key} ", " ")
    return found, rest.strip()


def _dedupe(candidates: list[Candidate]) -> tuple[list[Candidate], list[tuple[int, int]]]:
    """A later row with the same e-mail (or name + institution) supersedes an earlier one."""
    by_key: dict[str, Candidate] = {}
    superseded: list[tuple[int, int]] = []
    for c in candidates:
        key = f"e:{c.email_norm}" if c.email_norm else f"n:{c.name_key}|{c.institution_key}"
        previous = by_key.get(key)
        if previous is not None:
            superseded.append((previous.row, c.row))
        by_key[key] = c
    kept = sorted(by_key.values(), key=lambda c: c.row)
    return kept, superseded


def _changes(old: Existing, new: Candidate) -> dict[str, tuple[object, object]]:
    out: dict[str, tuple[object, object]] = {}
    pairs: list[tuple[str, object, object]] = [
        ("first_name", old.first_name, new.first_name),
        ("last_name", old.last_name, new.last_name),
    ]
    if new.email and (old.email or "").lower() != new.email.lower():
        pairs.append(("email", old.email, new.email))
    if new.institution:
        pairs.append(("institution", old.institution, new.institution))
    if new.position:
        pairs.append(("position", old.position, new.position))
    if new.role:
        pairs.append(("role", old.role, new.role))
    for name, before, after in pairs:
        if before != after:
            out[name] = (before, after)
    return out


def plan_import(
    candidates: list[Candidate],
    existing: list[Existing],
    sessions: Sequence[tuple[int, str]] = (),
    rejected: Sequence[Rejected] = (),
    empty_rows: int = 0,
) -> Plan:
    plan = Plan(rejected=list(rejected), empty_rows=empty_rows)
    kept, plan.superseded = _dedupe(candidates)
    by_email = {e.email.lower(): e for e in existing if e.email}
    by_name: dict[str, list[Existing]] = {}
    for e in existing:
        by_name.setdefault(f"{e.name_key}|{fold(e.institution)}", []).append(e)
    claimed: set[int] = set()
    for c in kept:
        match = by_email.get(c.email_norm) if c.email_norm else None
        if match is None:
            options = [e for e in by_name.get(f"{c.name_key}|{c.institution_key}", [])
                       if e.id not in claimed and (not e.email or not c.email)]
            match = options[0] if len(options) == 1 else None
        if match is not None and match.id in claimed:
            plan.rejected.append(Rejected(c.row, "ta sama osoba co w innym wierszu",
                                          "the same person as another row"))
            continue
        ids: list[int] = []
        if sessions and c.sessions:
            ids, rest = match_sessions(c.sessions, sessions)
            if rest and rest.replace(" ", ""):
                plan.warnings.append(Rejected(c.row, f"nieznane warsztaty: {rest}",
                                              f"unknown workshops: {rest}"))
        ids += [sid for sid in c.program if sid not in ids]
        if ids:
            plan.sessions[c.row] = ids
        for column, said in c.unclear:
            plan.warnings.append(Rejected(
                c.row, f"odpowiedź „{said}” w kolumnie „{column}” to ani tak, ani nie: "
                       f"nie zapisano",
                f"answer '{said}' in column '{column}' is neither yes nor no: not registered"))
        if match is None:
            plan.creates.append(c)
            continue
        claimed.add(match.id)
        changes = _changes(match, c)
        if changes:
            plan.updates.append(Update(match.id, c, changes))
        else:
            plan.unchanged.append((match.id, c))
    plan.rejected.sort(key=lambda r: r.row)
    return plan


def build_plan(
    data: bytes,
    filename: str,
    existing: list[Existing],
    sessions: Sequence[tuple[int, str]] = (),
    mapping_spec: dict[str, str] | None = None,
    program_spec: dict[int, int | None] | None = None,
) -> tuple[Table, dict[str, int], Plan]:
    """Everything from file bytes to a plan; raises :class:`ImportFileError`.

    ``program_spec``: yes/no column -> the session it registers for (None: none), as the
    organizer chose in the preview; columns it leaves out are matched by their headers.
    """
    table = read_table(data, filename)
    mapping = explicit_mapping(table, mapping_spec) if mapping_spec else guess_mapping(table)
    check_mapping(table, mapping)
    number_col = number_column(table, mapping)
    skip = set(mapping.values()) | ({number_col} if number_col is not None else set())
    program = program_columns(table.headers, table.rows, skip, sessions, program_spec)
    candidates, rejected, empty = extract(table, mapping, program)
    if not candidates and not rejected:
        raise ImportFileError("Plik nie zawiera żadnych osób", "The file holds no people")
    plan = plan_import(candidates, existing, sessions, rejected, empty)
    plan.program_columns = program
    plan.column_notes = column_notes(program, dict(sessions))
    if number_col is not None:
        plan.number_header = table.column_name(number_col)
        plan.numbers = row_numbers(table, mapping)
    return table, mapping, plan
