"""Tables of words kept in step: each wire error code has words on both sides, and the
kiosk's and the dashboard's scripts use only words the server renders for them.

Every check is parametrized by the source of truth (the wire's codes, the keys the
scripts use), so a word removed from a table fails its own case.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest

from admin.dashboard import DASHBOARD_WORDS
from admin.sync_api import MESSAGES as ADMIN_WIRE_WORDS
from kiosk.warnings import SYNC_REFUSALS
from kiosk.web import ERROR_CODES as KIOSK_ERROR_CODES
from kiosk.web import ERROR_TEXTS as KIOSK_ERROR_TEXTS
from kiosk.web.i18n import PRINTER_STATES, SCREEN, SCREEN_PRINTER_QUIET
from sync.bounds import Role
from sync.roster import ROLE_WORDS
from sync.wire import ERROR_CODES

ROOT = Path(__file__).resolve().parent.parent
KIOSK_JS = (ROOT / "kiosk/web/static/kiosk.js").read_text(encoding="utf-8")
STAFF_JS = (ROOT / "kiosk/web/static/staff.js").read_text(encoding="utf-8")
SCREEN_HTML = (ROOT / "kiosk/web/templates/screen.html").read_text(encoding="utf-8")
SEARCH_HTML = (ROOT / "kiosk/web/templates/staff_search.html").read_text(encoding="utf-8")
DASHBOARD_JS = (ROOT / "admin/static/dashboard.js").read_text(encoding="utf-8")
DASHBOARD_HTML = (ROOT / "admin/templates/dashboard/show.html").read_text(encoding="utf-8")

POLISH = re.compile(r"[ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]")
JS_STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"')


def _words(pair: tuple[str, str]) -> None:
    pl, en = pair
    assert pl.strip() and en.strip(), pair


# -- (a) every wire error code has words on both sides ------------------------------------------

WIRE_TABLES = {"admin": ADMIN_WIRE_WORDS, "kiosk": SYNC_REFUSALS}


@pytest.mark.parametrize("side", sorted(WIRE_TABLES))
@pytest.mark.parametrize("code", ERROR_CODES)
def test_each_wire_error_code_has_polish_and_english_words(side: str, code: str) -> None:
    table = WIRE_TABLES[side]
    assert code in table, f"{side} has no words for the wire's {code!r}"
    _words(table[code])


@pytest.mark.parametrize("side", sorted(WIRE_TABLES))
def test_no_words_for_codes_the_wire_does_not_define(side: str) -> None:
    assert set(WIRE_TABLES[side]) <= set(ERROR_CODES)


@pytest.mark.parametrize("status", sorted(KIOSK_ERROR_TEXTS))
def test_each_kiosk_error_status_has_a_code_for_its_json_body(status: int) -> None:
    assert KIOSK_ERROR_CODES.get(status), status
    _words(KIOSK_ERROR_TEXTS[status])


# -- (b) the kiosk's screen: the script's words come from SCREEN --------------------------------


def _screen_keys_used() -> set[str]:
    keys = set(re.findall(r'\btext\("(\w+)"\)', KIOSK_JS))
    for pair in re.findall(r'dataset\.i18n\s*=.*?\?\s*"(\w+)"\s*:\s*"(\w+)"', KIOSK_JS):
        keys |= set(pair)  # a key chosen in the script: one or the other
    keys |= set(re.findall(r'data-i18n(?:-alt)?="(\w+)"', SCREEN_HTML))
    keys |= set(re.findall(r"\bstrings\.(\w+)\[", SCREEN_HTML))
    return keys


SCREEN_KEYS_USED = sorted(_screen_keys_used())


def test_the_parser_finds_the_screen_keys() -> None:
    # A parser that found nothing would pass every case below.
    assert {"toggle", "toggle_lang", "enroll_steps", "enroll_loading", "prompt",
            "preview_alt", "printer_help", "printer_other"} <= set(SCREEN_KEYS_USED)


@pytest.mark.parametrize("key", SCREEN_KEYS_USED)
def test_each_key_the_screen_uses_has_both_languages(key: str) -> None:
    assert key in SCREEN, f"kiosk.js or screen.html uses {key!r}, not in i18n.SCREEN"
    assert SCREEN[key]["pl"].strip() and SCREEN[key]["en"].strip()


@pytest.mark.parametrize("status", sorted(set(PRINTER_STATES) - set(SCREEN_PRINTER_QUIET)))
def test_each_printer_trouble_has_screen_words(status: str) -> None:
    # kiosk.js looks up "printer_" + status, as screen_printer_note does.
    assert f"printer_{status}" in SCREEN


def test_the_script_keeps_the_same_quiet_printer_states() -> None:
    found = re.search(r"var PRINTER_QUIET = \[(.*?)\];", KIOSK_JS)
    assert found is not None
    assert tuple(JS_STRING.findall(found.group(1))) == SCREEN_PRINTER_QUIET


def test_the_script_keeps_the_same_icons() -> None:
    from kiosk.messages import ICONS

    found = re.search(r"var ICONS = \{(.*?)\};", KIOSK_JS)
    assert found is not None
    pairs = re.findall(r'(\w+): "((?:[^"\\]|\\.)*)"', found.group(1))
    in_js = {tone: value.encode().decode("unicode_escape") for tone, value in pairs}
    assert in_js == ICONS


def _search_keys() -> set[str]:
    block = re.search(r'id="search-strings">\{\{ \{(.*?)\}\|tojson', SEARCH_HTML, re.S)
    assert block is not None
    return set(re.findall(r"'(\w+)': tr\(", block.group(1)))


@pytest.mark.parametrize("key", sorted(set(re.findall(r"\bwords\.(\w+)", STAFF_JS))))
def test_each_word_the_staff_script_uses_is_rendered(key: str) -> None:
    assert key in _search_keys()


@pytest.mark.parametrize("name", ["kiosk.js", "staff.js"])
def test_the_kiosk_scripts_hold_no_words_of_their_own(name: str) -> None:
    source = {"kiosk.js": KIOSK_JS, "staff.js": STAFF_JS}[name]
    assert [s for s in JS_STRING.findall(source) if POLISH.search(s)] == []


# -- (c) the admin's dashboard: the script's words come from DASHBOARD_WORDS ---------------------

DASHBOARD_KEYS_USED = sorted(set(re.findall(r'\bw\("(\w+)"\)', DASHBOARD_JS)))


def test_the_dashboard_page_renders_its_words_for_the_script() -> None:
    # Single quotes: tojson escapes ' < > & but not ".
    assert "data-words='{{ words|tojson }}'" in DASHBOARD_HTML
    assert "JSON.parse(root.dataset.words)" in DASHBOARD_JS


@pytest.mark.parametrize("key", DASHBOARD_KEYS_USED)
def test_each_word_the_dashboard_uses_has_both_languages(key: str) -> None:
    assert key in DASHBOARD_WORDS, f"dashboard.js uses {key!r}, not in DASHBOARD_WORDS"
    _words(DASHBOARD_WORDS[key])


def test_the_dashboard_table_has_no_unused_words() -> None:
    assert sorted(DASHBOARD_WORDS) == DASHBOARD_KEYS_USED


def test_the_dashboard_script_holds_no_words_of_its_own() -> None:
    literals = JS_STRING.findall(re.sub(r'\bw\("\w+"\)', "", DASHBOARD_JS))
    own = {word for pair in DASHBOARD_WORDS.values() for word in pair if len(word) > 3}
    assert [s for s in literals if POLISH.search(s) or s.strip(" ():") in own] == []


def _admin_pairs() -> dict[str, set[str]]:
    """Every ``tr('pl', 'en')`` of the admin's templates and modules: Polish -> English."""
    pairs: dict[str, set[str]] = {}
    call = re.compile(r"""tr\(\s*(['"])(.+?)\1\s*,\s*(['"])(.+?)\3\s*\)""")
    for path in [*(ROOT / "admin").rglob("*.html"), *(ROOT / "admin").rglob("*.py")]:
        for _q, pl, _q2, en in call.findall(path.read_text(encoding="utf-8")):
            pairs.setdefault(pl.casefold(), set()).add(en.casefold())
    return pairs


def test_the_twin_finder_finds_twins() -> None:
    assert "out of contact" in _admin_pairs()["bez kontaktu"]


@pytest.mark.parametrize("key", sorted(DASHBOARD_WORDS))
def test_dashboard_words_agree_with_their_twins_elsewhere_in_the_admin(key: str) -> None:
    pl, en = DASHBOARD_WORDS[key]
    twins = _admin_pairs().get(pl.casefold())
    assert twins is None or en.casefold() in twins, (key, twins)


# -- role words: one table beside Role, used by both sides --------------------------------------


@pytest.mark.parametrize("role", typing.get_args(Role))
def test_each_role_has_words_in_the_one_table(role: str) -> None:
    from admin.i18n import ROLE_LABELS
    from kiosk.web.i18n import ROLES

    assert ROLE_LABELS is ROLES is ROLE_WORDS
    _words(ROLE_WORDS[role])
