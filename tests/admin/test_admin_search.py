"""The help-desk search index on its own: forgiving and fast."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from admin import sample_data
from admin.search import Entry, SearchIndex, osa_distance

PEOPLE = [
    Entry(1, "Łukasz", "Wójcik", "lukasz.wojcik@mops.krakow.pl", "MOPS Kraków", "active"),
    Entry(2, "Łucja", "Wójtowicz", "lw@gops.pl", "GOPS Gdów", "active"),
    Entry(3, "Katarzyna", "Cecuga-Nowak", "", "PCPR Limanowa", "active"),
    Entry(4, "Zofia", "Wiśniewska", "zofia@dps.pl", "DPS Bochnia", "cancelled"),
    Entry(5, "Paweł", "Dąbrowski", "pd@oik.pl", "Ośrodek Interwencji Kryzysowej Radocza",
          "active"),
]


def _ids(index: SearchIndex, q: str) -> list[int]:
    return [e.id for e in index.search(q)]


def test_without_polish_letters_and_partial_words() -> None:
    index = SearchIndex(PEOPLE)
    assert _ids(index, "lukasz wojc")[0] == 1
    assert _ids(index, "ŁUKASZ WÓJCIK") == [1]
    assert _ids(index, "dabrow")[0] == 5
    assert _ids(index, "nowak") == [3]
    assert _ids(index, "cecuga nowak") == [3]


def test_typos() -> None:
    index = SearchIndex(PEOPLE)
    assert _ids(index, "wojick")[0] == 1        # swapped letters
    assert _ids(index, "wisniewka")[0] == 4     # a missing letter
    assert _ids(index, "katarzna")[0] == 3
    assert _ids(index, "lukazs")[0] == 1


def test_email_and_institution() -> None:
    index = SearchIndex(PEOPLE)
    assert _ids(index, "lukasz.wojcik@mops.krakow.pl")[0] == 1
    assert _ids(index, "radocza") == [5]
    assert _ids(index, "interwencji")[0] == 5
    assert _ids(index, "gops gdow") == [2]


def test_person_number() -> None:
    index = SearchIndex(PEOPLE)
    assert _ids(index, "4") == [4]
    assert _ids(index, "999") == []


def test_nothing_and_no_full_match() -> None:
    index = SearchIndex(PEOPLE)
    assert _ids(index, "") == []
    assert _ids(index, "qqqqqq") == []
    # 'zofia kowalczyk': nobody matches both words; the best partial match is offered.
    assert _ids(index, "zofia kowalczyk")[0] == 4


def test_osa_distance() -> None:
    assert osa_distance("wojcik", "wojick", 2) == 1
    assert osa_distance("abc", "abc", 0) == 0
    assert osa_distance("kowalski", "nowak", 1) == 2  # stops above the limit


@given(st.text(alphabet="abcdeł ", max_size=12), st.text(alphabet="abcdeł ", max_size=12))
def test_osa_is_symmetric_and_bounded(a: str, b: str) -> None:
    assert osa_distance(a, b, 30) == osa_distance(b, a, 30)
    assert osa_distance(a, b, 30) <= max(len(a), len(b))


def test_twenty_thousand_people_find_the_one_asked_for() -> None:
    """Its speed is a benchmark (bench/bench_admin.py, help-desk search p95), not a test."""
    regs = sample_data.registrants(20_000)
    index = SearchIndex([Entry(i, r.first_name, r.last_name, r.email, r.institution, "active")
                         for i, r in enumerate(regs)])
    for i in (0, 9_999, 19_999):
        r = regs[i]
        found = [e.id for e in index.search(f"{r.last_name} {r.first_name}", 50)]
        assert i in found, (r.first_name, r.last_name)
        assert index.search(r.email, 5)[0].id == i  # e-mails are unique
    assert index.search("qqqqqq") == []
