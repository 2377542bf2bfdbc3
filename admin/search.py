"""Forgiving people search for the help desk: no Polish letters needed, partial words, typos.

An in-memory index per event (words -> people, trigrams -> words), rebuilt when the event's
``people_version`` changes. 'lukasz wojc' finds Łukasz Wójcik; 'wojick' too (one swap).
"""

from __future__ import annotations

import bisect
import heapq
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from admin.schema import people
from admin.textnorm import fold
from sync.collation import person_key
from sync.fuzzy import allowed_typos as _allowed_typos
from sync.fuzzy import osa_distance
from sync.fuzzy import trigrams as _trigrams

EXACT, PREFIX, INFIX, FUZZY = 3.0, 2.5, 1.5, 1.0
NAME_BONUS = 1.5


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    first_name: str
    last_name: str
    email: str
    institution: str
    status: str

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class SearchIndex:
    def __init__(self, entries: Iterable[Entry]) -> None:
        self.entries: list[Entry] = list(entries)
        names: dict[str, set[int]] = {}
        others: dict[str, set[int]] = {}
        self._order: list[Any] = []  # Polish alphabetical order (sync.collation)
        self._by_id = {e.id: idx for idx, e in enumerate(self.entries)}
        for idx, e in enumerate(self.entries):
            first, last = fold(e.first_name), fold(e.last_name)
            self._order.append(person_key(e.last_name, e.first_name, e.id))
            for w in f"{first} {last}".split():
                names.setdefault(w, set()).add(idx)
            for w in fold(e.email).split() + fold(e.institution).split():
                others.setdefault(w, set()).add(idx)
        self._names = names
        self._others = others
        self._vocab = sorted(names.keys() | others.keys())
        grams: dict[str, list[str]] = {}
        for w in self._vocab:
            for g in _trigrams(w):
                grams.setdefault(g, []).append(w)
        self._grams = grams

    def __len__(self) -> int:
        return len(self.entries)

    def _word_matches(self, token: str) -> dict[str, float]:
        found: dict[str, float] = {}
        lo = bisect.bisect_left(self._vocab, token)
        hi = bisect.bisect_left(self._vocab, token + "\uffff")
        for w in self._vocab[lo:hi]:
            found[w] = EXACT if w == token else PREFIX
        if len(token) >= 3:
            for w in self._vocab:
                if w not in found and token in w:
                    found[w] = INFIX
        typos = _allowed_typos(token)
        if typos and len(found) < 50:
            shared: Counter[str] = Counter()
            for g in _trigrams(token):
                shared.update(self._grams.get(g, ()))
            need = max(1, len(_trigrams(token)) - 4 * typos)
            for w, n in shared.items():
                if n < need or w in found:
                    continue
                # Whole word, or the beginning of a word still being typed.
                if (osa_distance(token, w, typos) <= typos
                        or osa_distance(token, w[:len(token)], typos) <= typos):
                    found[w] = FUZZY
        return found

    def search(self, query: str, limit: int = 20) -> list[Entry]:
        tokens = list(dict.fromkeys(fold(query).split()))
        if not tokens:
            return []
        if len(tokens) == 1 and tokens[0].isdigit() and int(tokens[0]) in self._by_id:
            return [self.entries[self._by_id[int(tokens[0])]]]  # the number on a person page
        per_token: list[dict[int, float]] = []
        for token in tokens:
            scores: dict[int, float] = {}
            for word, score in self._word_matches(token).items():
                for idx in self._others.get(word, ()):
                    if score > scores.get(idx, 0.0):
                        scores[idx] = score
                named = score * NAME_BONUS
                for idx in self._names.get(word, ()):
                    if named > scores.get(idx, 0.0):
                        scores[idx] = named
            per_token.append(scores)
        per_token.sort(key=len)
        candidates = set(per_token[0]).intersection(*per_token[1:])
        if not candidates:  # nobody matches every word: rank by how many words match
            candidates = set().union(*per_token)
        order = self._order
        best = heapq.nsmallest(
            limit, candidates,
            key=lambda i: (-sum(s.get(i, 0.0) for s in per_token), order[i]))
        return [self.entries[i] for i in best]


def load_entries(conn: Connection, event_id: int) -> list[Entry]:
    rows = conn.execute(
        select(people.c.id, people.c.first_name, people.c.last_name, people.c.email,
               people.c.institution, people.c.status).where(people.c.event_id == event_id)
    ).all()
    return [Entry(r.id, r.first_name, r.last_name, r.email or "", r.institution, r.status)
            for r in rows]


class SearchCache:
    """One index per event, rebuilt when the event's people_version moves on."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._indexes: dict[int, tuple[int, SearchIndex]] = {}

    def index(self, conn: Connection, event_id: int) -> SearchIndex:
        from admin.queries.events import people_version

        version = people_version(conn, event_id)
        with self._lock:
            cached = self._indexes.get(event_id)
            if cached and cached[0] == version:
                return cached[1]
        built = SearchIndex(load_entries(conn, event_id))
        with self._lock:
            self._indexes[event_id] = (version, built)
        return built
