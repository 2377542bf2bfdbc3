"""Self-service at an entrance kiosk: "I have no code" (issue 14, ``sync.self_service``).

The attendee types their whole surname (Polish letters not needed, typos forgiven, no
listing by prefix), picks themself among the matches (first name and institution only),
and confirms with the event's second factor. The factor opens the seal the roster holds
for that person: the badge's own token, checked in through ``CheckinService.scan`` with
source ``self_service``: the same rules, the same badge, the same result on the screen.

Guessing is limited: after 3 wrong factors for one person, or 10 on this kiosk, within
:data:`KIOSK_WINDOW`, the kiosk stops offering lookup for :data:`KIOSK_PAUSE` and tells
staff (status, staff page, the admin's Kiosks page). Every attempt is kept in the store:
a restart resets nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sync import token as tokens
from sync.fuzzy import allowed_typos, osa_distance, trigrams
from sync.self_service import SelfService, unseal
from sync.text import fold
from sync.timekeeping import utc_now

from . import self_service_store as attempts
from .checkin import CheckinService, ScanOutcome
from .store import ROSTER_APPLIED_KEY, Store

log = logging.getLogger(__name__)

PERSON_FAILURES = 3
KIOSK_FAILURES, KIOSK_WINDOW, KIOSK_PAUSE = 10, timedelta(minutes=10), timedelta(minutes=10)
MAX_MATCHES = 8  # more people of one surname: the help desk, not a list to browse
MIN_SURNAME = 2

Refusal = Literal["off", "paused", "wrong", "unknown", "not_ready"]


@dataclass(frozen=True, slots=True)
class Match:
    """What the screen may show of a person found: never the e-mail, never the surname
    beyond what was typed."""

    attendee_id: int
    first_name: str
    institution: str


@dataclass(frozen=True, slots=True)
class Lookup:
    matches: tuple[Match, ...] = ()
    too_many: bool = False  # more than MAX_MATCHES: shown none


@dataclass(frozen=True, slots=True)
class Confirmed:
    outcome: ScanOutcome | None = None
    refused: Refusal | None = None


class SelfServiceUnavailable(Exception):
    """Lookup is not offered now (``reason``: off, paused, not_ready)."""

    code = "self_service_unavailable"

    def __init__(self, reason: Refusal, until: datetime | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.until = until


def surname_keys(last_name: str) -> set[str]:
    """The forms of a surname a person may type: whole ("cecuga nowak", "cecuganowak")
    and each part of a compound one ("cecuga", "nowak")."""
    folded = fold(last_name)
    if not folded:
        return set()
    parts = folded.split()
    keys = {folded, "".join(parts)}
    keys.update(p for p in parts if len(p) >= 3)
    return keys


class SurnameIndex:
    """Folded surname forms -> people, with trigrams for the typo search."""

    def __init__(self, people: list[tuple[int, str, str, str]]) -> None:
        """``people``: (id, first name, last name, institution) of those who can use it."""
        self.people = {pid: Match(pid, first, institution)
                       for pid, first, _last, institution in people}
        self._by_key: dict[str, set[int]] = {}
        for pid, _first, last, _inst in people:
            for key in surname_keys(last):
                self._by_key.setdefault(key, set()).add(pid)
        self._grams: dict[str, list[str]] = {}
        for key in self._by_key:
            for gram in trigrams(key):
                self._grams.setdefault(gram, []).append(key)

    def find(self, typed: str) -> Lookup:
        query = fold(typed)
        if len(query.replace(" ", "")) < MIN_SURNAME:
            return Lookup()
        found = set(self._by_key.get(query, ())) | set(self._by_key.get(
            query.replace(" ", ""), ()))
        if not found:  # only when nobody has exactly this surname: forgive typos
            typos = allowed_typos(query)
            if typos:
                shared: dict[str, int] = {}
                for gram in trigrams(query):
                    for key in self._grams.get(gram, ()):
                        shared[key] = shared.get(key, 0) + 1
                need = max(1, len(trigrams(query)) - 4 * typos)
                for key, count in shared.items():
                    if count >= need and osa_distance(query, key, typos) <= typos:
                        found |= self._by_key[key]
        if len(found) > MAX_MATCHES:
            return Lookup(too_many=True)
        matches = sorted((self.people[pid] for pid in found),
                         key=lambda m: (fold(m.first_name), fold(m.institution), m.attendee_id))
        return Lookup(tuple(matches))


class SelfServiceDesk:
    """The kiosk's self-service: lookup, the lockouts, and the check-in."""

    def __init__(self, store: Store, checkin: CheckinService, *,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self.store = store
        self.checkin = checkin
        self.clock = clock
        self._index: tuple[str, SurnameIndex] | None = None
        self._lock = threading.Lock()
        # One confirmation at a time: the lockout is checked and the attempt recorded as
        # one step, so parallel requests cannot guess more than the limits allow.
        self._confirming = threading.Lock()

    # -- what is offered ------------------------------------------------------------------------

    def settings(self) -> SelfService | None:
        """The event's self-service, when this kiosk offers it (entrance kiosks only: a
        room kiosk records sessions of people already checked in)."""
        if self.checkin.settings.mode != "entrance":
            return None
        event = self.store.reader.event()
        service = event.self_service if event else None
        return service if service is not None and service.enabled else None

    def paused_until(self) -> datetime | None:
        """The end of the kiosk-wide pause, or None. A pause starts at the failure that
        makes :data:`PERSON_FAILURES` for one person (since their last success) or
        :data:`KIOSK_FAILURES` on this kiosk, each within :data:`KIOSK_WINDOW`."""
        now = self.clock()
        start = now - KIOSK_WINDOW - KIOSK_PAUSE
        kiosk: list[datetime] = []
        person: dict[int, list[datetime]] = {}
        end: datetime | None = None
        for at, attendee_id, ok in attempts.attempts_since(self.store.reader.db, start):
            if ok:
                person.pop(attendee_id, None)
                continue
            kiosk.append(at)
            mine = person.setdefault(attendee_id, [])
            mine.append(at)
            for times, limit in ((kiosk, KIOSK_FAILURES), (mine, PERSON_FAILURES)):
                if len(times) >= limit and at - times[-limit] <= KIOSK_WINDOW:
                    end = max(end or at, at + KIOSK_PAUSE)
        return end if end is not None and end > now else None

    def state(self) -> dict[str, object]:
        """For the status, the staff page and the admin's Kiosks page."""
        service = self.settings()
        until = self.paused_until() if service else None
        return {"offered": service is not None, "factor": service.factor if service else None,
                "paused_until": until.isoformat() if until else None}

    def require(self) -> SelfService:
        """The event's self-service, or :class:`SelfServiceUnavailable` saying why not."""
        service = self.settings()
        if self.store.reader.event() is None:
            raise SelfServiceUnavailable("not_ready")
        if service is None:
            raise SelfServiceUnavailable("off")
        until = self.paused_until()
        if until is not None:
            raise SelfServiceUnavailable("paused", until)
        return service

    # -- lookup ---------------------------------------------------------------------------------

    def index(self) -> SurnameIndex:
        version = self.store.reader.get_meta(ROSTER_APPLIED_KEY) or ""
        with self._lock:
            if self._index is None or self._index[0] != version:
                rows = self.store.reader.db.execute(
                    "SELECT id, first_name, last_name, institution FROM attendees "
                    "WHERE status = 'active' AND seal IS NOT NULL").fetchall()
                self._index = (version, SurnameIndex([tuple(r) for r in rows]))
            return self._index[1]

    def lookup(self, surname: str) -> Lookup:
        self.require()
        return self.index().find(surname)

    # -- confirmation ---------------------------------------------------------------------------

    def confirm(self, attendee_id: int, typed: str) -> Confirmed:
        """Check ``attendee_id`` in when ``typed`` is their factor. A refusal never says
        which part was wrong."""
        with self._confirming:
            return self._confirm(attendee_id, typed)

    def _confirm(self, attendee_id: int, typed: str) -> Confirmed:
        service = self.require()
        if not typed.strip():  # nothing typed: no attempt, nothing counted
            return Confirmed(refused="wrong")
        person = self.store.reader.attendee(attendee_id)
        event = self.store.reader.event()
        if person is None or event is None or person.status != "active" or not person.seal:
            return Confirmed(refused="unknown")
        token = unseal(service.hash_key, service.factor, typed, event.id, person.id,
                       person.badge_revision, person.seal)
        ok = token is not None and _signed(token, event.public_keys, event.id)
        with self.store.write() as db:
            now = self.clock()
            attempts.record_attempt(db, now, attendee_id, ok)
            attempts.prune(db, now - KIOSK_WINDOW - KIOSK_PAUSE)
        if not ok or token is None:
            log.info("self-service: wrong factor for attendee %s", attendee_id)
            if self.paused_until() is not None:
                log.warning("self-service paused: %d wrong factors within %s", KIOSK_FAILURES,
                            KIOSK_WINDOW)
                self.checkin.bus.publish("self_service", self.state(), sticky=True)
            return Confirmed(refused="wrong")
        return Confirmed(outcome=self.checkin.scan(token, source="self_service"))


def _signed(token: str, public_keys: list[str], event_id: int) -> bool:
    try:
        tokens.verify(token, [tokens.parse_public_key(k) for k in public_keys], event_id)
    except tokens.TokenError:
        return False
    return True
