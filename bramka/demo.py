"""``bramka demo``: the whole system on one machine, simulated cameras and printer.

Everything runs in this one process on 127.0.0.1 with embedded defaults:

- the admin (SQLite) with a generated three-day congress of about 500 registrants,
  loaded the way organizers do it: the program, then a Polish Excel registration export
  through the real importer; a few badges replaced, a few registrations cancelled;
- an entrance kiosk and a room kiosk, each enrolled with the admin by a one-time code and
  syncing; their demo cameras show badges from the roster (valid, replaced, cancelled,
  forged) and the entrance prints to a virtual printer that writes PNGs.

Ctrl-C stops everything cleanly.
"""

from __future__ import annotations

import logging
import shutil
import signal
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from bramka.config import AdminSettings, Settings, load_settings
from bramka.demodata import (
    Congress,
    CongressSession,
    forger_key,
    generate_congress,
    write_registration_csv,
)

log = logging.getLogger(__name__)

DEMO_DIR = Path("var/demo")
MARKER = ".bramka-demo"
LOGINS = {"organizator": ("organizer", "demo-organizator"),
          "wolontariusz": ("volunteer", "demo-wolontariusz")}


@dataclass
class Badge:
    token: str
    label: str


@dataclass
class DemoPlan:
    base: Path
    congress: Congress
    admin: AdminSettings
    admin_url: str
    event_id: int = 0
    room_session: int = 0
    room: str = ""
    printer_port: int = 0
    badges_dir: Path = Path()
    kiosks: dict[str, Settings] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _session_for_now(congress: Congress, now: datetime) -> CongressSession:
    """A workshop needing registration, open now or next, so the room kiosk has work."""
    limited = [s for s in congress.sessions if s.registration_required and s.kind == "session"]
    pool = limited or list(congress.sessions)
    running = [s for s in pool if s.starts_at <= now < s.ends_at]
    if running:
        return running[0]
    upcoming = sorted((s for s in pool if s.starts_at > now), key=lambda s: s.starts_at)
    return upcoming[0] if upcoming else pool[0]


def _fresh_dir(base: Path) -> None:
    """Start from nothing, but only ever delete a folder the demo itself made."""
    if base.exists() and any(base.iterdir()):
        if not (base / MARKER).exists():
            raise click.ClickException(f"{base} is not empty and not a demo folder; "
                                       "choose another --dir")
        shutil.rmtree(base)
    base.mkdir(parents=True, exist_ok=True)
    (base / MARKER).write_text("made by `bramka demo`; deleted by the next demo run\n")


def _write_badges(path: Path, badges: list[Badge]) -> None:
    lines = [f"{b.token}  # {b.label}" for b in badges]
    path.write_text("# Badges the demo camera shows, in order\n" + "\n".join(lines) + "\n",
                    encoding="utf-8")


def seed_admin(plan: DemoPlan) -> None:
    """Load the congress into the admin the way organizers would; make logins and kiosks."""
    from sqlalchemy import select

    from admin.db import make_engine, migrate
    from admin.queries import events as q_events
    from admin.queries import people as q_people
    from admin.queries import program as q_program
    from admin.queries import sync as q_sync
    from admin.queries import users as q_users
    from admin.queries.importing import run_import
    from admin.schema import people, registrations

    congress = plan.congress
    engine = make_engine(plan.admin.database_url)
    try:
        migrate(engine)
        with engine.begin() as conn:
            for username, (role, password) in LOGINS.items():
                q_users.create_user(conn, username, password, role)
            event_id = q_events.create_event(conn, congress.name, congress.starts_on,
                                             congress.ends_on)
            # "Auditorium Maximum, ul. Krupnicza 33, Kraków": the name, then the address
            # (which invitations print and room lists need not repeat).
            venue_ids = {v: q_program.add_venue(conn, event_id, *v.split(", ", 1))
                         for v in sorted({s.venue for s in congress.sessions})}
            room_ids = {(s.venue, s.room): 0 for s in congress.sessions}
            for venue, room in room_ids:
                room_ids[(venue, room)] = q_program.add_room(conn, venue_ids[venue], room, None)
            session_ids = {s.id: q_program.add_session(conn, event_id, {
                "title": s.title, "kind": s.kind, "room_id": room_ids[(s.venue, s.room)],
                "starts_at": s.starts_at, "ends_at": s.ends_at, "capacity": s.capacity,
                "registration_required": s.registration_required,
            }) for s in congress.sessions}
            export = write_registration_csv(congress, plan.base / "rejestracje.csv",
                                            flavour="excel_pl")
            run_import(conn, event_id, export.read_bytes(), export.name, username="demo")
            by_email = {r.email_norm: r.id for r in conn.execute(
                select(people.c.email_norm, people.c.id).where(people.c.event_id == event_id))}
            ids = {p.id: by_email[p.email.lower()] for p in congress.people}
            for p in congress.people:
                if p.role != "participant":
                    q_people.update_person(conn, ids[p.id], {"role": p.role}, "demo")
                if p.badge_revision > 1:
                    q_people.replace_badge(conn, ids[p.id], "demo", "zgubiony identyfikator")
                if p.status == "cancelled":
                    q_people.update_person(conn, ids[p.id], {"status": "cancelled"}, "demo")

            chosen = _session_for_now(congress, datetime.now(UTC))
            plan.event_id, plan.room, plan.room_session = \
                event_id, chosen.room, session_ids[chosen.id]
            registered = {r.person_id for r in conn.execute(select(registrations.c.person_id)
                          .where(registrations.c.session_id == plan.room_session))}

            def badge(person_id: int, revision: int, label: str) -> Badge:
                return Badge(q_events.issue_token(conn, event_id, person_id, revision), label)

            valid = [badge(ids[p.id], p.badge_revision, f"valid: {p.full_name}")
                     for p in congress.people if p.status == "active"]
            odd = [badge(ids[p.id], 1, f"replaced badge: {p.full_name}")
                   for p in congress.people if p.badge_revision > 1][:6]
            odd += [badge(ids[p.id], 1, f"cancelled: {p.full_name}")
                    for p in congress.people if p.status == "cancelled"][:4]
            from sync import token as tokens

            stranger = forger_key(congress.seed)
            odd += [Badge(tokens.issue(stranger, event_id, ids[p.id]), f"forged: {p.full_name}")
                    for p in congress.people[10:14]]
            entrance: list[Badge] = []
            for i, b in enumerate(valid[:60]):
                entrance.append(b)
                if i % 4 == 3 and odd:
                    entrance.append(odd.pop(0))
            _write_badges(plan.base / "badges-entrance.txt", entrance)
            in_room = [badge(ids[p.id], p.badge_revision, f"registered: {p.full_name}")
                       for p in congress.people
                       if ids[p.id] in registered and p.status == "active"][:24]
            strangers = [b for b in valid if b not in in_room][-6:]
            in_room[2::4] = strangers[:len(in_room[2::4])]
            _write_badges(plan.base / "badges-room.txt", in_room or valid[:20])

            for name, mode, room in (("entrance", "entrance", ""), ("room", "room", chosen.room)):
                label = "Wejście główne" if mode == "entrance" else f"Sala: {room}"
                kiosk_id = q_sync.create_kiosk(conn, event_id, label, mode, room)
                plan.codes[name] = q_sync.new_enrollment(conn, kiosk_id)
            # The first badge the entrance camera shows was copied: someone already came in
            # with it at a second entrance whose kiosk had no network, so the dashboard has
            # one real double entry to show (issue 16).
            first = next(p for p in congress.people if p.status == "active")
            _copied_badge(conn, event_id, ids[first.id], first.badge_revision)
    finally:
        engine.dispose()


def _copied_badge(conn: Any, event_id: int, person_id: int, revision: int) -> None:
    from datetime import timedelta

    from admin.queries import sync as q_sync
    from admin.scans import record_scans
    from sync.scans import ScanRecord, new_scan_id

    kiosk_id = q_sync.create_kiosk(conn, event_id, "Wejście B (bez sieci)", "entrance", "")
    at = datetime.now(UTC) - timedelta(minutes=10)
    record_scans(conn, [ScanRecord(
        id=new_scan_id(), kiosk_id=kiosk_id, event_id=event_id, attendee_id=person_id,
        badge_revision=revision, result="ok", admitted=True, source="camera", wall_time=at,
        monotonic_ns=10**9, boot_id="demo-offline", raw=None)])


def plan_demo(base: Path, port: int) -> DemoPlan:
    """Make the demo's data under ``base`` and describe what will run."""
    _fresh_dir(base)
    congress = generate_congress()
    admin = AdminSettings(database_url=f"sqlite:///{(base / 'admin' / 'bramka.db').resolve()}",
                          data_dir=base / "admin", port=port, secret_key="")
    (base / "admin").mkdir()
    plan = DemoPlan(base=base, congress=congress, admin=admin,
                    admin_url=f"http://127.0.0.1:{port}", printer_port=_free_port(),
                    badges_dir=base / "printed-badges")
    seed_admin(plan)
    for name, offset in (("entrance", 1), ("room", 2)):
        env = {
            "BRAMKA_KIOSK__ID": f"demo-{name}", "BRAMKA_KIOSK__MODE": name,
            "BRAMKA_KIOSK__DATA_DIR": str(base / f"kiosk-{name}"),
            "BRAMKA_KIOSK__PORT": str(port + offset),
            "BRAMKA_CAMERA__SOURCE": "demo",
            "BRAMKA_CAMERA__PATH": str(base / f"badges-{name}.txt"),
            "BRAMKA_PRINTER__BACKEND": "virtual" if name == "entrance" else "none",
            "BRAMKA_PRINTER__PORT": str(plan.printer_port),
            "BRAMKA_SYNC__INTERVAL_SECONDS": "2",
        }
        if name == "room":
            env["BRAMKA_KIOSK__ROOM"] = plan.room
        plan.kiosks[name] = load_settings(None, env)
        plan.urls[f"kiosk-{name}"] = f"http://127.0.0.1:{port + offset}/"
    plan.urls["admin"] = plan.admin_url + "/"
    return plan


def _log_to_file(path: Path) -> Path:
    """Everything the parts log goes to ``path``; the console keeps only warnings (all of
    it with ``bramka -v demo``), so the addresses above stay on screen."""
    root = logging.getLogger()
    verbose = root.level <= logging.DEBUG
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.DEBUG if verbose else logging.INFO)
    for console in root.handlers:
        if not verbose:
            console.setLevel(logging.WARNING)
    root.addHandler(handler)
    for noisy in ("werkzeug", "alembic"):  # quiet on the console, kept in the file
        logging.getLogger(noisy).setLevel(logging.NOTSET)
    return path


class DemoRunner:
    """Starts every part in this process and stops them in reverse order."""

    def __init__(self, plan: DemoPlan) -> None:
        self.plan = plan
        self._stops: list[Callable[[], Any]] = []

    def _serve(self, app: Any, port: int, name: str) -> None:
        from werkzeug.serving import make_server

        server = make_server("127.0.0.1", port, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True, name=f"http-{name}").start()
        self._stops.append(server.server_close)
        self._stops.append(server.shutdown)

    def start(self) -> None:
        from admin import create_app as create_admin
        from kiosk.runtime import KioskRuntime
        from kiosk.web import create_app as create_kiosk
        from printers.virtual import VirtualPrinter

        admin_app = create_admin(self.plan.admin)
        self._stops.append(admin_app.extensions["bramka_db"].dispose)
        self._serve(admin_app, self.plan.admin.port, "admin")
        printer = VirtualPrinter(self.plan.badges_dir, port=self.plan.printer_port)
        printer.start()
        self._stops.append(printer.stop)
        for name, settings in self.plan.kiosks.items():
            runtime = KioskRuntime(settings)
            self._stops.append(runtime.stop)
            client = runtime.sync_client()
            client.enroll(self.plan.admin_url, self.plan.codes[name])
            client.contact()  # the roster, before the first badge comes into view
            if settings.kiosk.mode == "room":
                # Pinned like staff would, so the room kiosk has a session at any hour.
                runtime.checkin.set_session_override(self.plan.room_session)
            self._serve(create_kiosk(runtime), settings.kiosk.port, name)
            runtime.start_devices()

    def stop(self) -> None:
        while self._stops:
            stop = self._stops.pop()
            try:
                stop()
            except Exception:  # keep stopping the rest
                log.exception("error while stopping the demo")


@click.command("demo")
@click.option("--dir", "base", type=click.Path(file_okay=False, path_type=Path),
              default=DEMO_DIR, show_default=True,
              help="Where the demo keeps its data (emptied at each start).")
@click.option("--port", type=int, default=8080, show_default=True,
              help="The admin's port; the entrance and room kiosks take the next two.")
def demo_command(base: Path, port: int) -> None:
    """Run the demo congress: admin, two kiosks, simulated cameras and printer."""
    click.echo("Preparing the demo congress (admin, 520 registrants, two kiosks)...")
    plan = plan_demo(base, port)
    log_file = _log_to_file(plan.base / "demo.log")
    runner = DemoRunner(plan)
    try:
        runner.start()
    except Exception as exc:
        runner.stop()
        raise click.ClickException(f"cannot start the demo: {exc}") from None
    org, vol = LOGINS["organizator"][1], LOGINS["wolontariusz"][1]
    click.echo(f"""
Bramka demo: {plan.congress.name}
  Admin (dashboard, help desk): {plan.urls['admin']}
      organizer login:  organizator / {org}
      volunteer login:  wolontariusz / {vol}
  Kiosk at the entrance:        {plan.urls['kiosk-entrance']}
  Kiosk at the room "{plan.room}": {plan.urls['kiosk-room']}
      (pinned to one workshop; staff can change it)
  Staff mode on a kiosk:        /staff, PIN {plan.kiosks['entrance'].kiosk.staff_pin}
  Printed badges (PNG):         {plan.badges_dir}/
  Log (requests, scans, sync):  {log_file}
Press Ctrl-C to stop.
""")
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    click.echo("Stopping the demo...")
    runner.stop()
    click.echo("Demo stopped.")
