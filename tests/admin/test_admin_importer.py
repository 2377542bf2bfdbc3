"""The pure import functions on realistic files: encodings, delimiters, headers, bad rows."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from admin import sample_data
from admin.importer import (
    Existing,
    ImportFileError,
    build_plan,
    explicit_mapping,
    extract,
    guess_mapping,
    match_sessions,
    read_table,
)
from admin.textnorm import fold, tidy

PEOPLE = sample_data.registrants(30)
SESSIONS = [(1, "Warsztat: piecza zastępcza"), (2, "Gra miejska po Podgórzu")]


def test_google_forms_csv() -> None:
    table = read_table(sample_data.google_forms_csv(PEOPLE), "Formularz.csv")
    assert (table.encoding, table.delimiter) == ("utf-8", ",")
    mapping = guess_mapping(table)
    assert {k: table.headers[v] for k, v in mapping.items()} == {
        "first_name": "Imię", "last_name": "Nazwisko", "email": "Adres e-mail",
        "institution": "Instytucja", "position": "Stanowisko", "role": "Rola",
        "sessions": "Warsztaty"}
    good, bad, empty = extract(table, mapping)
    assert (len(good), bad, empty) == (30, [], 0)
    assert good[0].first_name == PEOPLE[0].first_name and good[0].row == 2


def test_polish_excel_semicolon_cp1250() -> None:
    data = sample_data.polish_excel_csv(PEOPLE)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    table = read_table(data, "lista.csv")
    assert (table.encoding, table.delimiter) == ("cp1250", ";")
    good, bad, _ = extract(table, guess_mapping(table))
    assert not bad
    assert [(g.first_name, g.last_name, g.institution) for g in good] == [
        (p.first_name, p.last_name, p.institution) for p in PEOPLE]


def test_utf8_bom_english_full_name() -> None:
    table = read_table(sample_data.english_bom_csv(PEOPLE), "export.csv")
    assert table.encoding == "utf-8-sig" and table.headers[0] == "Timestamp"
    mapping = guess_mapping(table)
    assert table.headers[mapping["full_name"]] == "Full name"
    assert table.headers[mapping["institution"]] == "Organization"
    good, bad, _ = extract(table, mapping)
    assert not bad
    assert (good[0].first_name, good[0].last_name) == (PEOPLE[0].first_name, PEOPLE[0].last_name)


def test_microsoft_forms_xlsx_prefers_the_real_email_question() -> None:
    table = read_table(sample_data.microsoft_forms_xlsx(PEOPLE), "Rejestracja.xlsx")
    assert table.kind == "xlsx"
    mapping = guess_mapping(table)
    assert table.headers[mapping["email"]] == "Proszę podać adres e-mail"
    assert "full_name" not in mapping  # "Nazwa" is Forms metadata, Imię + Nazwisko exist
    good, bad, _ = extract(table, mapping)
    assert not bad and good[0].email == PEOPLE[0].email


def test_utf16_tab_separated_from_excel_unicode_text() -> None:
    text = "Imię\tNazwisko\tE-mail\r\nŁukasz\tWójcik\tlw@gops.pl\r\n"
    table = read_table(text.encode("utf-16"), "dane.txt")
    assert table.delimiter == "\t"
    good, _, _ = extract(table, guess_mapping(table))
    assert (good[0].first_name, good[0].last_name) == ("Łukasz", "Wójcik")


def test_semicolon_utf8_with_quoted_fields_and_newlines() -> None:
    text = ('"Imię";"Nazwisko";"Instytucja"\n'
            '"Anna";"Nowak";"MOPS; Kraków"\n'
            '"Jan";"Kowalski";"Dom Pomocy\nSpołecznej"\n')
    table = read_table(text.encode(), "x.csv")
    good, bad, _ = extract(table, guess_mapping(table))
    assert [g.institution for g in good] == ["MOPS; Kraków", "Dom Pomocy Społecznej"]


def test_rejected_rows_report_row_number_and_reason() -> None:
    text = ("Imię,Nazwisko,E-mail\n"
            "Anna,Nowak,anna@mops.pl\n"     # 2 ok
            ",,\n"                          # 3 empty
            "Jan,,jan@x.pl\n"               # 4 no last name
            ",Kowalska,\n"                  # 5 no first name
            "Ewa,Mazur,ewa(at)ops.pl\n"     # 6 bad e-mail
            "ZOFIA,WIŚNIEWSKA-NOWAK,\n")    # 7 ok, name case fixed
    table = read_table(text.encode(), "x.csv")
    good, bad, empty = extract(table, guess_mapping(table))
    assert empty == 1
    assert [(r.row, r.en) for r in bad] == [
        (4, "last name missing"), (5, "first name missing"),
        (6, "invalid e-mail address: ewa(at)ops.pl")]
    assert [(g.row, g.first_name, g.last_name) for g in good] == [
        (2, "Anna", "Nowak"), (7, "Zofia", "Wiśniewska-Nowak")]


def test_unclosed_quote_is_a_rejected_row_not_a_crash() -> None:
    text = 'Imię,Nazwisko\nAnna,Nowak\nJan,"Kowal\n' + "".join(
        f"X{i},Y{i}\n" for i in range(30))
    table = read_table(text.encode(), "x.csv")
    good, bad, _ = extract(table, guess_mapping(table))
    assert [g.last_name for g in good] == ["Nowak"]
    assert bad[0].row == 3 and "quote" in bad[0].en


@pytest.mark.parametrize("data,name,message", [
    (b"", "a.csv", "empty"),
    (b"   \n\n", "a.csv", "empty"),
    (b"Kolor,Smak\nczerwony,slodki\n", "a.csv", "name columns"),
    (b"PK\x03\x04garbage", "a.xlsx", "damaged"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "a.xls", ".xls"),
    (b"Imi\xc4\x99,Nazwisko\n", "a.csv", "no people"),
])
def test_unusable_files(data: bytes, name: str, message: str) -> None:
    with pytest.raises(ImportFileError, match=message):
        build_plan(data, name, [])


def test_explicit_mapping_by_header_letter_and_number() -> None:
    text = "Uczestnik - imię,Uczestnik - nazwisko,Skąd\nAnna,Nowak,GOPS Gdów\n"
    table = read_table(text.encode(), "x.csv")
    mapping = explicit_mapping(table, {"first_name": "A", "last_name": "2",
                                       "institution": "skad"})
    good, _, _ = extract(table, mapping)
    assert (good[0].first_name, good[0].last_name, good[0].institution) == (
        "Anna", "Nowak", "GOPS Gdów")
    with pytest.raises(ImportFileError, match="No column"):
        explicit_mapping(table, {"email": "Adres"})


def test_plan_matches_by_email_then_name_and_institution() -> None:
    existing = [
        Existing(10, "Anna", "Nowak", "anna@mops.pl", "MOPS Kraków", "", "participant"),
        Existing(11, "Jan", "Kowalski", None, "GOPS Gdów", "", "participant"),
        Existing(12, "Ewa", "Mazur", "ewa@a.pl", "PCPR Limanowa", "", "participant"),
    ]
    text = ("Imię,Nazwisko,E-mail,Instytucja\n"
            "Anna,Nowak-Kowal,ANNA@mops.pl,MOPS Kraków\n"    # e-mail match, new surname
            "Jan,Kowalski,jan@gdow.pl,gops gdów\n"           # name + institution match
            "Ewa,Mazur,ewa@b.pl,PCPR Limanowa\n"             # other e-mail: another person
            "Zofia,Lis,,DPS Bochnia\n")
    _t, _m, plan = build_plan(text.encode(), "x.csv", existing)
    assert [(u.person_id, sorted(u.changes)) for u in plan.updates] == [
        (10, ["last_name"]), (11, ["email", "institution"])]
    assert [c.last_name for c in plan.creates] == ["Mazur", "Lis"]


def test_reimport_of_the_same_file_changes_nothing() -> None:
    data = sample_data.google_forms_csv(PEOPLE)
    _t, _m, first = build_plan(data, "x.csv", [])
    existing = [Existing(i, c.first_name, c.last_name, c.email, c.institution, c.position,
                         c.role or "participant") for i, c in enumerate(first.creates, 1)]
    _t, _m, again = build_plan(data, "x.csv", existing)
    assert again.summary()["unchanged"] == 30
    assert not again.creates and not again.updates


def test_duplicates_inside_one_file_keep_the_later_row() -> None:
    text = ("Imię,Nazwisko,E-mail\n"
            "Anna,Nowak,anna@mops.pl\n"
            "Jan,Lis,\n"
            "Anna,Nowakowa,anna@mops.pl\n"
            "Jan,Lis,\n")
    _t, _m, plan = build_plan(text.encode(), "x.csv", [])
    assert sorted(plan.superseded) == [(2, 4), (3, 5)]
    assert [(c.row, c.last_name) for c in plan.creates] == [(4, "Nowakowa"), (5, "Lis")]


def test_sessions_column_registers_and_warns_about_unknown_ones() -> None:
    text = ("Imię,Nazwisko,Warsztaty\n"
            'Anna,Nowak,"Warsztat: piecza zastępcza, Gra miejska po Podgorzu"\n'
            "Jan,Lis,Rejs statkiem\n")
    _t, _m, plan = build_plan(text.encode(), "x.csv", [], SESSIONS)
    assert plan.sessions == {2: [2, 1]} or plan.sessions == {2: [1, 2]}
    assert [(w.row, w.en) for w in plan.warnings] == [(3, "unknown workshops: rejs statkiem")]


def test_match_sessions_is_forgiving_about_letters_and_separators() -> None:
    ids, rest = match_sessions("gra miejska po podgorzu; WARSZTAT: PIECZA ZASTĘPCZA", SESSIONS)
    assert sorted(ids) == [1, 2] and rest == ""


def test_roles_in_polish() -> None:
    text = "Imię,Nazwisko,Rola\nA,B,Prelegentka\nC,D,Gość honorowy\nE,F,coś innego\n"
    table = read_table(text.encode(), "x.csv")
    good, _, _ = extract(table, guess_mapping(table))
    assert [g.role for g in good] == ["speaker", "guest", None]


def test_twenty_thousand_rows_plan_every_row() -> None:
    """Its speed is a benchmark (bench/bench_import_plan.py), not a timed test."""
    regs = sample_data.registrants(20_000)
    _t, _m, plan = build_plan(sample_data.polish_excel_csv(regs), "big.csv", [], SESSIONS)
    assert len(plan.creates) == 20_000 and not plan.rejected
    assert {(c.first_name, c.last_name) for c in plan.creates[::997]} <= {
        (r.first_name, r.last_name) for r in regs}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.text(min_size=1, max_size=20), st.text(min_size=1, max_size=20)),
                min_size=1, max_size=8),
       st.sampled_from([("utf-8", ","), ("cp1250", ";"), ("utf-8-sig", "\t")]))
def test_any_names_survive_the_round_trip(names: list[tuple[str, str]],
                                          enc: tuple[str, str]) -> None:
    import csv

    encoding, delimiter = enc
    names = [(f, ln) for f, ln in names
             if f.strip() and ln.strip() and "\x00" not in f + ln and "\r" not in f + ln]
    try:
        for f, ln in names:
            (f + ln).encode(encoding)
    except UnicodeEncodeError:
        return
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter)
    w.writerow(["Imię", "Nazwisko"])
    w.writerows(names)
    table = read_table(buf.getvalue().encode(encoding), "x.csv")
    good, bad, empty = extract(table, {"first_name": 0, "last_name": 1})
    assert len(good) + len(bad) + empty == len(names)
    for g in good:
        assert fold(g.first_name) == fold(tidy(names[g.row - 2][0]))


def test_workshops_and_side_events_in_two_columns_both_register():
    """Forms ask for workshops and side events in two questions; neither may be dropped."""
    from admin.importer import build_plan

    csv_text = ("Imię;Nazwisko;Adres e-mail;Warsztaty;Wydarzenia towarzyszące\n"
                "Anna;Kowalska;a@x.example;Warsztat: Superwizja;Gra miejska\n")
    sessions = [(1, "Warsztat: Superwizja"), (2, "Gra miejska")]
    _table, mapping, plan = build_plan(csv_text.encode("cp1250"), "r.csv", [], sessions, None)
    assert {"sessions", "side_events"} <= set(mapping)
    assert sorted(sid for ids in plan.sessions.values() for sid in ids) == [1, 2]


def test_invisible_characters_are_cleaned_from_every_field() -> None:
    """Zero-width spaces, byte-order marks, direction marks, soft hyphens: none survive."""
    text = ("Imię\u200b,Nazwisko,E-mail,Instytucja,Stanowisko,Rola,Warsztaty\n"
            "Zofia\u200b,\ufeffWiś\u00adniewska,zw@dps.pl\u200b,\u200eMOPS\u2060 Kraków\u200f,"
            "pracownik\u200d socjalny,Pre\u00adlegentka,Gra miejska po\u200b Podgórzu\n")
    _table, mapping, plan = build_plan(text.encode(), "x.csv", [], SESSIONS)
    assert "first_name" in mapping
    (c,) = plan.creates
    assert (c.first_name, c.last_name, c.email, c.institution, c.position, c.role) == (
        "Zofia", "Wiśniewska", "zw@dps.pl", "MOPS Kraków", "pracownik socjalny", "speaker")
    assert c.name_key == "zofia wisniewska"
    assert plan.sessions == {2: [2]} and not plan.warnings
    # A row of nothing but invisible characters is empty, not a nameless person.
    table = read_table("Imię,Nazwisko\nAnna,Nowak\n\u200b,\ufeff\n".encode(), "x.csv")
    assert extract(table, guess_mapping(table))[1:] == ([], 1)


@pytest.mark.parametrize("header", ["Lp.", "Nr", "#", ""])
def test_a_row_with_only_its_running_number_is_empty(header: str) -> None:
    text = (f"{header},Imię,Nazwisko,E-mail,Instytucja\n"
            "1,Anna,Nowak,anna@mops.pl,MOPS\n"
            "2,,,,\n"
            "3,Jan,Lis,,GOPS Gdów\n"
            "4,,,,\n"
            "5,,Kowalska,,\n")
    table = read_table(text.encode(), "x.csv")
    good, bad, empty = extract(table, guess_mapping(table))
    assert [g.last_name for g in good] == ["Nowak", "Lis"]
    assert empty == 2
    assert [(r.row, r.en) for r in bad] == [(6, "first name missing")]


def test_a_long_field_says_what_is_wrong_not_unclosed_quote() -> None:
    text = ("Imię,Nazwisko,Instytucja\n"
            f"Anna,Nowak,{'Ośrodek ' * 1250}\n"
            "Jan,Lis,GOPS\n")
    table = read_table(text.encode(), "x.csv")
    good, bad, _ = extract(table, guess_mapping(table))
    assert [g.last_name for g in good] == ["Lis"]
    assert [(r.row, r.en) for r in bad] == [
        (2, "value too long in column 'Instytucja': 9999 characters, the limit is 500")]
    assert "Instytucja" in bad[0].pl and "500" in bad[0].pl and "cudzysłów" not in bad[0].pl
    # A 10 kB name is too long for its column, too (and it is not a quote problem either).
    table = read_table(f"Imię,Nazwisko\n{'A' * 10_000},Nowak\n".encode(), "x.csv")
    (problem,) = extract(table, guess_mapping(table))[1]
    assert problem.en == ("value too long in column 'Imię': 10000 characters, "
                          "the limit is 200")


def test_an_unclosed_quote_names_its_column_and_the_lines_it_swallowed() -> None:
    text = 'Imię,Nazwisko\nAnna,Nowak\nJan,"Kowal\n' + "".join(
        f"X{i},Y{i}\n" for i in range(5))
    table = read_table(text.encode(), "x.csv")
    _good, bad, _ = extract(table, guess_mapping(table))
    assert [(r.row, r.en) for r in bad] == [
        (3, "damaged row: unclosed quote in column 'Nazwisko' (the field runs over 5 more "
            "lines of the file; those rows were not read)")]


def test_messages_name_the_sheet_row_and_the_sheets_own_number() -> None:
    # Two blank rows above the header: the header is sheet row 3, data starts at row 4.
    text = (",,,\n,,,\n"
            "Lp.,Imię,Nazwisko,E-mail\n"
            "1,Anna,Nowak,anna@mops.pl\n"
            "2,Jan,,jan@gops.pl\n"
            "3,Anna,Nowakowa,anna@mops.pl\n"
            "4,Ewa,Mazur,ewa(at)ops.pl\n")
    _t, _m, plan = build_plan(text.encode(), "x.csv", [])
    assert [(plan.where(r.row), r.en) for r in plan.rejected] == [
        ("5 (Lp. 2)", "last name missing"),
        ("7 (Lp. 4)", "invalid e-mail address: ewa(at)ops.pl")]
    assert [(plan.where(a), plan.where(b)) for a, b in plan.superseded] == [
        ("4 (Lp. 1)", "6 (Lp. 3)")]
    # Without a number column the sheet row alone.
    _t, _m, plain = build_plan(b"Imie,Nazwisko\nAnna,\n", "x.csv", [])
    assert plain.where(plain.rejected[0].row) == "2"


PROGRAM = [(1, "Warsztat: piecza zastępcza"), (2, "Gra miejska po Podgórzu"),
           (3, "Wizyta studyjna w CUS Niepołomice (autokar)")]
FORMS_HEADERS = ["Sygnatura czasowa", "Adres e-mail", "Imię", "Nazwisko", "Instytucja",
                 "Warsztaty", "Wizyta studyjna w CUS Niepołomice",
                 "Wydarzenia towarzyszące [Gra miejska po Podgórzu]",
                 "Czy potrzebujesz noclegu?",
                 "Wyrażam zgodę na przetwarzanie moich danych osobowych"]


def google_forms_with_choices() -> bytes:
    """A Google Forms export: one yes/no question per side event, a checkbox grid row,
    a yes/no question that is not about the program, and a consent box."""
    import csv

    answers = ["Tak", "Nie", "x", "1", "yes", "", "TAK", "Tak, wezmę udział"]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(FORMS_HEADERS)
    for i in range(24):
        visit = "Tak" if i < 20 else "Nie"
        w.writerow([f"2026/05/{i % 28 + 1:02d} 10:00:00 AM GMT+2", f"osoba{i}@gops.pl",
                    f"Imię{i}", f"Nazwisko{i}", "GOPS Gdów",
                    "Warsztat: piecza zastępcza" if i % 2 else "",
                    visit, answers[i % len(answers)], "Nie" if i % 3 else "Tak", "Tak"])
    w.writerow(["2026/05/30 10:00:00 AM GMT+2", "wahajaca@ops.pl", "Ewa", "Wahająca",
                "OPS", "", "może", "", "", "Tak"])
    return buf.getvalue().encode()


def test_yes_no_columns_register_for_the_sessions_they_name() -> None:
    table, mapping, plan = build_plan(google_forms_with_choices(), "Formularz.csv", [],
                                      PROGRAM)
    # The free-text workshops question is the sessions field; the grid row is not.
    assert table.headers[mapping["sessions"]] == "Warsztaty" and "side_events" not in mapping
    by_header = {pc.header: pc.session_id for pc in plan.program_columns}
    assert by_header == {"Wizyta studyjna w CUS Niepołomice": 3,
                         "Wydarzenia towarzyszące [Gra miejska po Podgórzu]": 2,
                         "Czy potrzebujesz noclegu?": None,
                         "Wyrażam zgodę na przetwarzanie moich danych osobowych": None}
    visit = sorted(r for r, ids in plan.sessions.items() if 3 in ids)
    assert visit == list(range(2, 22))  # the 20 rows answering "Tak"
    walk = sorted(r for r, ids in plan.sessions.items() if 2 in ids)
    # "Nie" and "" say no; Tak, x, 1, yes, TAK and "Tak, wezmę udział" say yes.
    assert walk == [i + 2 for i in range(24) if i % 8 not in (1, 5)]
    workshop = sorted(r for r, ids in plan.sessions.items() if 1 in ids)
    assert workshop == [i + 2 for i in range(24) if i % 2]
    assert plan.summary()["registrations"] == 20 + len(walk) + 12
    # The lodging question is a visible warning; the consent box is not worth one.
    (note,) = plan.column_notes
    assert "Czy potrzebujesz noclegu?" in note.en and "no session or side event" in note.en
    assert "Czy potrzebujesz noclegu?" in note.pl and "Nikogo z niej nie zapisano" in note.pl
    # An answer that is neither yes nor no is named, and nobody is registered on a guess.
    assert [(plan.where(w.row), w.en) for w in plan.warnings] == [
        ("26", "answer 'może' in column 'Wizyta studyjna w CUS Niepołomice' is neither yes "
               "nor no: not registered")]
    assert 26 not in plan.sessions


def test_the_organizers_choice_for_a_yes_no_column_wins() -> None:
    data = google_forms_with_choices()
    table, _m, _p = build_plan(data, "f.csv", [], PROGRAM)
    visit, lodging = (FORMS_HEADERS.index(h) for h in
                      ("Wizyta studyjna w CUS Niepołomice", "Czy potrzebujesz noclegu?"))
    _t, _m, plan = build_plan(data, "f.csv", [], PROGRAM,
                              program_spec={visit: None, lodging: 1})
    assert not any(3 in ids for ids in plan.sessions.values())
    lodgers = sorted(r for r, ids in plan.sessions.items() if 1 in ids and r % 2)
    assert lodgers and not plan.column_notes  # chosen by hand: no warning either


def test_a_program_column_matching_nothing_or_several_is_a_warning() -> None:
    text = ("Imię,Nazwisko,Spacer,Rejs statkiem\n"
            "Anna,Nowak,Tak,x\n"
            "Jan,Lis,Nie,\n")
    program = [(1, "Spacer muzealny: dostępność kultury"),
               (2, "Spacer śladami krakowskiej spółdzielczości")]
    _t, _m, plan = build_plan(text.encode(), "x.csv", [], program)
    assert not plan.sessions
    assert [pc.ambiguous for pc in plan.program_columns] == [(2, 1), ()]
    ambiguous, unmatched = plan.column_notes
    assert "several program items" in ambiguous.en and "Spacer muzealny" in ambiguous.en
    assert "Rejs statkiem" in unmatched.en and "1 × yes" in unmatched.en


@pytest.mark.parametrize("header,expected", [
    ("Wizyta studyjna w CUS Niepołomice", [3]),
    ("Czy weźmiesz udział w wizycie studyjnej w CUS Niepołomice?", [3]),
    ("Wizyta studyjna w Centrum Usług Społecznych w Niepołomicach", [3]),
    ("Wydarzenia towarzyszące [Gra miejska po Podgórzu]", [2]),
    ("Udział w gali", [4]),
    ("Autokar", []),  # the note in brackets is not the title
    ("Czy potrzebujesz noclegu?", []),
])
def test_headers_find_their_session_despite_endings_and_extra_words(
        header: str, expected: list[int]) -> None:
    from admin.import_program import match_header

    program = [*PROGRAM, (4, "Gala wręczenia nagród Małopolskiej Polityki Społecznej")]
    assert match_header(header, program) == expected
