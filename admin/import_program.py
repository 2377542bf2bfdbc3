"""Program choices asked as yes/no questions: one column per session or side event.

Google Forms and Microsoft Forms often ask "Wizyta studyjna w CUS Niepołomice" as its own
question (or as a row of a checkbox grid, "Wydarzenia towarzyszące [Gra miejska]") with
answers such as "Tak", "Nie", "x", "1" or nothing. Such a column is matched to a session of
the event by its header: words compared without letters' accents, function words and
bracketed notes ignored, Polish endings forgiven ("Niepołomice" finds "w Niepołomicach").
A "yes" registers that person for the session; a column that looks like a choice but
matches nothing (or several sessions equally) is reported so that no answer is dropped
without a word. Pure: no Flask, no DB.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from admin.textnorm import fold, tidy
from sync.words import Bilingual

# Folded answers. Forms write the option's text; sheets use marks and numbers.
YES = frozenset({
    "tak", "t", "yes", "y", "x", "1", "true", "prawda", "v", "ok", "zapisuje sie",
    "wezme udzial", "biore udzial", "uczestnicze", "chce", "chce wziac udzial", "attending",
    "going", "will attend", "checked", "zaznaczone",
})
NO = frozenset({
    "", "nie", "n", "no", "0", "false", "falsz", "nie wezme udzialu", "nie biore udzialu",
    "not attending", "not going", "brak",
})
CHECK_MARKS = frozenset("✓✔☑☒✗✘■●")
# A column counts as a choice when this share of its filled-in cells are yes/no answers.
CHOICE_SHARE = 0.8
# Words that say nothing about which session is meant.
STOP_WORDS = frozenset({
    "w", "we", "i", "oraz", "z", "ze", "na", "do", "po", "o", "od", "dla", "u", "przy",
    "the", "of", "in", "at", "and", "to", "for", "on", "a", "an",
    "czy", "udzial", "udziale", "wezme", "wezmiesz", "wezmie", "pan", "pani", "panstwo",
    "chce", "chcesz", "zapis", "zapisy", "zapisuje", "sie", "wybierz", "wybor",
    "attend", "will", "you", "your", "join", "register", "registration",
})
# Questions about consent, not about the program: never worth a warning.
CONSENT_WORDS = ("zgod", "rodo", "consent", "regulamin", "oswiadcz", "zapoznal", "akceptuj",
                 "privacy", "prywatnosc", "newsletter", "wizerun", "gdpr")
# Scores closer than this to the best one make the header ambiguous.
TIE = 0.2
_BRACKETS = re.compile(r"\[([^\]]*)\]\s*$")
_PARENTHESES = re.compile(r"\([^)]*\)")


def answer(value: str) -> bool | None:
    """True for yes, False for no or nothing, None for a text that is neither."""
    text = tidy(value)
    if not text:
        return False
    if text in CHECK_MARKS:
        return True
    key = fold(text)
    if key in YES:
        return True
    if key in NO:
        return False
    first = key.split()[0]
    if first in ("tak", "yes"):  # "Tak, wezmę udział"
        return True
    if first in ("nie", "no"):  # "Nie, dziękuję"
        return False
    return None


def is_choice_column(values: Sequence[str]) -> bool:
    """Mostly yes/no answers (at least one cell filled in)."""
    filled = [v for v in values if tidy(v)]
    if not filled:
        return False
    answers = sum(1 for v in filled if answer(v) is not None)
    return answers / len(filled) >= CHOICE_SHARE


def looks_like_consent(header: str) -> bool:
    key = fold(header)
    return any(word in key for word in CONSENT_WORDS)


def _tokens(text: str) -> list[str]:
    words = [w for w in fold(_PARENTHESES.sub(" ", text)).split() if w not in STOP_WORDS]
    return words or [w for w in fold(text).split() if w not in STOP_WORDS]


def _same_word(a: str, b: str) -> bool:
    """Equal, or one Polish word in two endings ("niepolomice" / "niepolomicach")."""
    if a == b:
        return True
    if len(a) < 4 or len(b) < 4 or a.isdigit() or b.isdigit():
        return False
    common = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        common += 1
    shorter = min(len(a), len(b))
    return common >= (shorter - 1 if shorter <= 5 else max(4, shorter - 3))


def _score(header: list[str], title: list[str]) -> float:
    """How well a header names a session title; 0 when it does not."""
    if not header or not title:
        return 0.0
    title_hits = sum(1 for t in title if any(_same_word(t, h) for h in header))
    header_hits = sum(1 for h in header if any(_same_word(h, t) for t in title))
    title_cover, header_cover = title_hits / len(title), header_hits / len(header)
    if (title_cover >= 0.75 and header_cover >= 0.5) or header_cover == 1.0:
        return title_cover + header_cover
    return 0.0


def match_header(header: str, sessions: Sequence[tuple[int, str]]) -> list[int]:
    """The session(s) a column header names, best first: one id, several (equally good:
    ambiguous), or none. A checkbox-grid header "Question [Option]" is matched by its option.
    """
    grid = _BRACKETS.search(header)
    texts = [grid.group(1), header] if grid and grid.group(1).strip() else [header]
    for text in texts:
        words = _tokens(text)
        scored = [(s, sid) for sid, title in sessions if (s := _score(words, _tokens(title)))]
        if scored:
            best = max(s for s, _ in scored)
            close = sorted(((s, sid) for s, sid in scored if s >= best - TIE), reverse=True)
            return [sid for _, sid in close]
    return []


@dataclass(frozen=True)
class ProgramColumn:
    """A yes/no column and the session its "yes" answers register for (None: none)."""

    col: int
    header: str
    session_id: int | None
    yes: int  # rows answering yes
    ambiguous: tuple[int, ...] = ()  # several sessions matched equally well
    chosen: bool = False  # set by the organizer, not guessed


Note = Bilingual
"""A warning about a whole column, shown above the preview."""


def _cell(row: Sequence[str], col: int) -> str:
    return row[col] if col < len(row) else ""


def program_columns(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    skip: set[int],
    sessions: Sequence[tuple[int, str]],
    chosen: dict[int, int | None] | None = None,
    sample: int = 500,
) -> list[ProgramColumn]:
    """Every yes/no column not in ``skip``, matched to a session (or the organizer's choice).

    Whether a column is a choice is judged on its first ``sample`` rows; ``chosen`` maps a
    column to the session the organizer picked for it (None: do not register from it).
    """
    session_ids = {sid for sid, _ in sessions}
    out: list[ProgramColumn] = []
    for col, header in enumerate(headers):
        if col in skip or not is_choice_column([_cell(r, col) for r in rows[:sample]]):
            continue
        yes = sum(1 for r in rows if answer(_cell(r, col)))
        if chosen is not None and col in chosen:
            sid = chosen[col]
            out.append(ProgramColumn(col, header, sid if sid in session_ids else None, yes,
                                     chosen=True))
            continue
        matches = match_header(header, sessions) if header else []
        if len(matches) == 1:
            out.append(ProgramColumn(col, header, matches[0], yes))
        else:
            out.append(ProgramColumn(col, header, None, yes, ambiguous=tuple(matches)))
    return out


def column_notes(program: Sequence[ProgramColumn],
                 titles: dict[int, str]) -> list[Note]:
    """Warnings for choice columns nobody will be registered from."""
    notes: list[Note] = []
    for pc in program:
        if pc.session_id is not None or pc.chosen:
            continue
        name = pc.header or "?"
        if pc.ambiguous:
            options = ", ".join(f"„{titles.get(s, s)}”" for s in pc.ambiguous)
            options_en = ", ".join(f"'{titles.get(s, s)}'" for s in pc.ambiguous)
            notes.append(Note(
                f"Kolumna „{name}” (odpowiedzi tak/nie, {pc.yes} × tak) pasuje do kilku części "
                f"programu: {options}. Nikogo z niej nie zapisano: wskaż właściwą poniżej.",
                f"Column '{name}' (yes/no answers, {pc.yes} × yes) matches several program "
                f"items: {options_en}. Nobody was registered from it: pick the right one "
                f"below."))
        elif not looks_like_consent(pc.header):
            notes.append(Note(
                f"Kolumna „{name}” wygląda na wybór części programu (odpowiedzi tak/nie, "
                f"{pc.yes} × tak), ale nie pasuje do żadnej sesji ani wydarzenia "
                f"towarzyszącego tego wydarzenia. Nikogo z niej nie zapisano: dodaj ją do "
                f"programu albo wskaż sesję poniżej.",
                f"Column '{name}' looks like a program choice (yes/no answers, {pc.yes} × "
                f"yes) but matches no session or side event of this event. Nobody was "
                f"registered from it: add it to the program or pick a session below."))
    return notes
