"""One Polish/English pair (sync.words) behind every type that carries one."""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError

import pytest

from admin.errors import AdminError, NotFound
from kiosk.messages import ScreenMessage, ScreenText
from printers.messages import STATE_MESSAGES, PrinterMessage
from sync.plan import PlanError
from sync.roster import LocalizedText
from sync.seal import SealError
from sync.wire import LocalizedMessage, WireError
from sync.words import Bilingual, BilingualError, pick


def test_a_pair_reads_in_either_language_and_is_immutable() -> None:
    words = Bilingual("Drukarka jest gotowa.", "The printer is ready.")
    assert (words.in_("pl"), words.in_("en")) == ("Drukarka jest gotowa.", "The printer is ready.")
    assert words.to_dict() == {"pl": "Drukarka jest gotowa.", "en": "The printer is ready."}
    with pytest.raises(FrozenInstanceError):
        words.pl = "x"  # type: ignore[misc]
    assert pick("en", "tak", "yes") == "yes" and pick("pl", "tak", "yes") == "tak"


def test_the_wire_pairs_keep_their_json_and_read_like_the_pair() -> None:
    text = LocalizedText(pl="punkt informacyjny", en="the help desk")
    assert text.model_dump_json() == '{"pl":"punkt informacyjny","en":"the help desk"}'
    assert text.to_dict() == text.model_dump() and text.in_("en") == "the help desk"
    assert Bilingual.of(text) == Bilingual("punkt informacyjny", "the help desk")
    error = WireError(error="bad_request", message=LocalizedMessage(pl="Zły", en="Bad"))
    assert json.loads(error.model_dump_json()) == {
        "error": "bad_request", "message": {"pl": "Zły", "en": "Bad"}, "detail": None}
    assert error.message.in_("pl") == "Zły"


def test_printer_and_screen_words_are_the_pair() -> None:
    assert PrinterMessage is Bilingual
    assert STATE_MESSAGES["ready"].in_("en") == "The printer is ready."
    screen = ScreenMessage("ok", ScreenText("Witaj", "Zapraszamy"),
                           ScreenText("Welcome", "Come in"))
    assert screen.title == Bilingual("Witaj", "Welcome")
    assert screen.to_dict() == {"tone": "ok", "icon": "✓",
                                "title": {"pl": "Witaj", "en": "Welcome"},
                                "detail": {"pl": "Zapraszamy", "en": "Come in"}}


def test_errors_say_why_in_both_languages_whatever_order_they_are_given() -> None:
    plan = PlanError("no such room", "nie ma takiej sali")  # English first, as before
    seal = SealError("no seal", "brak pieczęci")
    admin = NotFound("Nie ma osoby 5", "No person 5")
    for exc, pl, en in ((plan, "nie ma takiej sali", "no such room"),
                        (seal, "brak pieczęci", "no seal"),
                        (admin, "Nie ma osoby 5", "No person 5")):
        assert isinstance(exc, BilingualError)
        assert (exc.pl, exc.en, str(exc)) == (pl, en, en)
        assert exc.message("pl") == pl and exc.message("en") == en
    assert isinstance(plan, ValueError)
    only_polish = AdminError("Tylko po polsku")
    assert (only_polish.en, str(only_polish)) == ("Tylko po polsku", "Tylko po polsku")
