"""Shared test helpers: the hand-made roster and tokens (fixtures live in conftest.py)."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from werkzeug.serving import make_server

from sync import token as tokens
from sync.roster import (
    Attendee,
    EventInfo,
    LocalizedText,
    Registration,
    RosterSnapshot,
    Session,
)

EVENT_ID = 7
# A fixed "now" inside the roster's sessions: 2026-06-16 10:00 Warsaw (UTC+2).
NOW = datetime(2026, 6, 16, 8, 0, tzinfo=UTC)


def _today() -> date:
    return datetime.now(UTC).date()


def make_roster(key: Ed25519PrivateKey, now: datetime = NOW) -> RosterSnapshot:
    """Anna (1), Łukasz (2, badge revision 2), Zofia (3, cancelled), Paweł (4), Katarzyna (5).

    Room "Sala 101": a workshop running around ``now`` (capacity 2, registration required,
    Anna and Paweł registered) and a later one. "Aula Główna": a plenary without limits.
    """
    hour = timedelta(hours=1)
    return RosterSnapshot(
        event=EventInfo(
            id=EVENT_ID, name="Małopolski Kongres Polityki Społecznej",
            # From ``now`` (tests with a fixed clock) and also through today (real kiosk
            # processes on the real clock): the entrance admits only on the event's days.
            starts_on=min(now.date(), _today()),
            ends_on=max((now + timedelta(days=2)).date(), _today() + timedelta(days=1)),
            public_keys=[tokens.public_key_text(key)],
            help_desk=LocalizedText(pl="punkt informacyjny w holu", en="the help desk in the hall"),
        ),
        cursor="c1",
        attendees=[
            Attendee(id=1, first_name="Anna", last_name="Kowalska",
                     institution="MOPS Kraków", role="participant"),
            Attendee(id=2, first_name="Łukasz", last_name="Wójcik",
                     institution="GOPS w Gdowie", role="speaker", badge_revision=2),
            Attendee(id=3, first_name="Zofia", last_name="Wiśniewska",
                     institution="PCPR Limanowa", status="cancelled"),
            Attendee(id=4, first_name="Paweł", last_name="Dąbrowski",
                     institution="Ośrodek Interwencji Kryzysowej Radocza"),
            Attendee(id=5, first_name="Katarzyna", last_name="Cecuga-Nowak",
                     institution="Miejski Ośrodek Pomocy Społecznej w Krakowie", role="press"),
        ],
        sessions=[
            Session(id=10, title="Warsztat: praca z rodziną", room="Sala 101",
                    starts_at=now - hour, ends_at=now + hour, capacity=2,
                    registration_required=True),
            Session(id=11, title="Warsztat: deinstytucjonalizacja", room="Sala 101",
                    starts_at=now + 3 * hour, ends_at=now + 5 * hour, capacity=30,
                    registration_required=True),
            Session(id=20, title="Sesja plenarna", room="Aula Główna",
                    starts_at=now - hour, ends_at=now + 2 * hour),
        ],
        registrations=[Registration(session_id=10, attendee_id=1),
                       Registration(session_id=10, attendee_id=4),
                       Registration(session_id=10, attendee_id=5)],
    )


def token_for(key: Ed25519PrivateKey, attendee_id: int, revision: int = 1,
              event_id: int = EVENT_ID) -> str:
    return tokens.issue(key, event_id, attendee_id, revision)


@contextmanager
def served(app: Any) -> Iterator[str]:
    """A WSGI app on 127.0.0.1 (threaded, like ``bramka kiosk serve``); yields its URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# -- tools the suite needs ----------------------------------------------------------------------
#
# `./run test` installs every tool below. Outside CI a missing one skips its tests (a laptop
# without chromium can still run the rest); under CI (``CI=true``) it fails, naming the
# package, because a skip there would hide a broken install step.


def under_ci() -> bool:
    """True when ``CI`` says so (``true``, ``1`` or ``yes``, any case)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def missing_tool(what: str, package: str) -> NoReturn:
    """Skip, or under CI fail, because ``what`` is not installed (from ``package``)."""
    message = f"{what} is not installed (Debian package {package}: apt-get install {package})"
    if under_ci():
        pytest.fail(f"{message}: CI must install it, not skip these tests", pytrace=False)
    pytest.skip(message)


def require_tool(command: str, package: str) -> str:
    """The path of ``command`` (a name on PATH or an absolute path), else skip or fail."""
    found = shutil.which(command)
    if found is None:
        missing_tool(command, package)
    return found


def require_module(name: str, package: str) -> ModuleType:
    """Import ``name``, else skip or fail; works at module level too."""
    try:
        return importlib.import_module(name)
    except ImportError:
        message = (f"the Python module {name} is not installed (pip install {package}; "
                   f"`./run test` installs the dev extra)")
        if under_ci():
            pytest.fail(f"{message}: CI must install it, not skip these tests", pytrace=False)
        pytest.skip(message, allow_module_level=True)


def pdf_text(data: bytes, tmp_path: Path) -> str:
    """The text of a PDF, by poppler's pdftotext (missing: skip, or fail under CI)."""
    tool = require_tool("pdftotext", "poppler-utils")
    path = tmp_path / "document.pdf"
    path.write_bytes(data)
    return subprocess.run([tool, str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


class FakeClock:
    """A monotonic clock that moves only when told: ``sleep`` advances it at once.

    Hand it to a frame source as ``clock``/``sleep`` and to the ScannerLoop as ``clock``:
    frames then come in virtual time, as fast as the machine can decode them, and every
    window (debounce, frame rate, preview cache) is measured exactly.
    """

    def __init__(self, start: float = 100.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


# -- self-service (sync.self_service) -----------------------------------------------------------

SELF_SECRET = bytes(range(32))  # the event's secret for personal codes, in tests
EMAILS = {1: "anna.kowalska@mops.krakow.pl", 2: "l.wojcik@gops-gdow.pl", 4: "pawel@oik.pl",
          5: "k.cecuga@mops.krakow.pl"}


def personal_code_of(attendee_id: int, revision: int = 1, secret: bytes = SELF_SECRET) -> str:
    from sync.self_service import code_for_id, format_code

    return format_code(code_for_id(secret, attendee_id, revision))


def with_self_service(roster: RosterSnapshot, key: Ed25519PrivateKey, factor: str = "code",
                      secret: bytes = SELF_SECRET) -> RosterSnapshot:
    """``roster`` as the admin sends it when the event offers self-service: the settings
    and, per active person, their badge's signature sealed under the factor."""
    from sync.self_service import SelfService, code_for_id, hash_key_of, seal

    service = SelfService(enabled=True, factor=factor, hash_key=hash_key_of(secret))  # type: ignore[arg-type]

    def sealed(a: Any) -> Any:
        value = (code_for_id(secret, a.id, a.badge_revision) if factor == "code"
                 else EMAILS.get(a.id))
        if a.status != "active" or value is None:
            return a
        token = token_for(key, a.id, a.badge_revision)
        return a.model_copy(update={"seal": seal(service.hash_key, service.factor, value, a.id,
                                                 a.badge_revision, token)})

    return roster.model_copy(update={
        "event": roster.event.model_copy(update={"self_service": service}),
        "attendees": [sealed(a) for a in roster.attendees]})
