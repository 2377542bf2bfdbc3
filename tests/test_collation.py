"""Polish alphabetical order (sync.collation)."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from sync.collation import by_name, sort_key

POLISH_ORDER = ["Adamska", "Ąbek", "Cebula", "Czech", "Ćwik", "Dąbrowski", "Ebert", "Ęlski",
                "Lis", "Łabuda", "Łukasik", "Nowak", "Nowak-Kowalska", "Nowakowski", "Ńiko",
                "Olszewska", "Ósmy", "Sikora", "Szymańska", "Śliwa", "Zając", "Zalewska",
                "Źrebiec", "Żak", "Żukowska"]


def test_polish_letters_follow_their_base_letter() -> None:
    shuffled = POLISH_ORDER[:]
    random.Random(5).shuffle(shuffled)
    assert sorted(shuffled, key=sort_key) == POLISH_ORDER
    assert sorted(["Zalewska", "Łabuda"]) == ["Zalewska", "Łabuda"]  # what it fixes


def test_case_foreign_accents_digits_and_other_scripts() -> None:
    assert sort_key("ŁABUDA") == sort_key("łabuda")
    assert sorted(["Müller", "Mylius", "Mueller"], key=sort_key) == ["Mueller", "Müller",
                                                                      "Mylius"]
    assert sorted(["Sala 10", "Sala 2", "Aula"], key=sort_key) == ["Aula", "Sala 10",
                                                                   "Sala 2"]
    assert sorted(["Шевченко", "Zalewska"], key=sort_key) == ["Zalewska", "Шевченко"]


def test_people_by_last_then_first_name() -> None:
    rows = [{"id": 3, "last_name": "Łabuda", "first_name": "Anna"},
            {"id": 1, "last_name": "Zalewska", "first_name": "Ewa"},
            {"id": 2, "last_name": "Łabuda", "first_name": "Ćma"},
            {"id": 4, "last_name": "Łabuda", "first_name": "Ćma"}]
    assert [r["id"] for r in by_name(rows)] == [3, 2, 4, 1]


@given(st.lists(st.text(alphabet="aąbcćeęlłnńoósśzźżAĄŁŻ -", max_size=8), max_size=12))
def test_a_total_order_consistent_with_equality(words: list[str]) -> None:
    ordered = sorted(words, key=sort_key)
    assert all(sort_key(a) <= sort_key(b) for a, b in zip(ordered, ordered[1:], strict=False))
    assert sorted(ordered, key=sort_key) == ordered


def test_role_words_are_one_table_for_admin_kiosk_and_badge() -> None:
    from typing import get_args

    from admin.i18n import ROLE_LABELS
    from kiosk.web.i18n import ROLES
    from printers.roles import role_marker
    from sync.roster import ROLE_WORDS, Role

    assert set(ROLE_WORDS) == set(get_args(Role))
    assert ROLE_LABELS is ROLE_WORDS and ROLES is ROLE_WORDS
    assert ROLE_WORDS["press"] == ("prasa", "press")
    for role, (pl, en) in ROLE_WORDS.items():  # the badge's band says the same words
        marker = role_marker(role)
        assert (marker.pl, marker.en) == (pl.upper(), en.upper()), role
