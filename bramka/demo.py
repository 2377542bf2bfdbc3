"""``bramka demo``: the whole system on one machine, simulated camera and printer.

Everything runs in this one process on 127.0.0.1 with embedded defaults: a generated
congress (about 500 registrants), an entrance kiosk and a room kiosk whose demo
cameras show badges from the roster (valid, replaced, cancelled, forged). Ctrl-C
stops everything cleanly.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from bramka.config import Settings, load_settings
from bramka.demodata import (
    Congress,
    CongressSession,
    DemoBadge,
    demo_badges,
    generate_congress,
)
from sync import token as tokens

log = logging.getLogger(__name__)

DEMO_DIR = Path("var/demo")


@dataclass
class DemoPlan:
    """What the demo will start; built first so it can be printed and tested."""

    base: Path
    congress: Congress
    key_path: Path
    roster_path: Path
    room_session: int = 0
    printer_port: int = 0
    badges_dir: Path = Path()
    kiosks: dict[str, Settings] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)


def _session_for_now(congress: Congress, now: datetime) -> CongressSession:
    """A session needing registration, open now or next, so the room kiosk has work."""
    limited = [s for s in congress.sessions if s.registration_required and s.kind == "session"]
    pool = limited or list(congress.sessions)
    running = [s for s in pool if s.starts_at <= now < s.ends_at]
    if running:
        return running[0]
    upcoming = sorted((s for s in pool if s.starts_at > now), key=lambda s: s.starts_at)
    return upcoming[0] if upcoming else pool[0]


def _write_badges(path: Path, badges: list[DemoBadge]) -> None:
    lines = [f"{b.token}  # {b.expected}: {b.label}" for b in badges]
    path.write_text("# Badges the demo camera shows, in order\n" + "\n".join(lines) + "\n",
                    encoding="utf-8")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def plan_demo(base: Path, port: int, now: datetime | None = None) -> DemoPlan:
    """Create (or reuse) the demo's key and data under ``base``; describe the kiosks."""
    base.mkdir(parents=True, exist_ok=True)
    key_path = base / "event-key.pem"
    if key_path.exists():
        key = tokens.load_private_key(key_path)
    else:
        key = tokens.generate_key()
        key_path.write_bytes(tokens.private_key_to_pem(key))
        key_path.chmod(0o600)
    congress = generate_congress()
    roster_path = base / "roster.json"
    roster_path.write_text(
        congress.to_snapshot([tokens.public_key_text(key)]).model_dump_json(), encoding="utf-8")
    badges = demo_badges(congress, key, forged=8, revoked=8)
    # The entrance sees a mix dominated by valid badges; odd cases every few people.
    odd = [b for b in badges if b.expected != "valid"]
    valid = [b for b in badges if b.expected == "valid"]
    mix: list[DemoBadge] = []
    for i, badge in enumerate(valid[:60]):
        mix.append(badge)
        if i % 4 == 3 and odd:
            mix.append(odd.pop(0))
    _write_badges(base / "badges-entrance.txt", mix)
    session = _session_for_now(congress, now or datetime.now(UTC))
    room = session.room
    registered = {r.attendee_id for r in congress.registrations if r.session_id == session.id}
    room_mix = [b for b in badges if b.attendee_id in registered and b.expected == "valid"][:30]
    others = [b for b in badges if b.attendee_id not in registered]
    room_mix[2::5] = others[:len(room_mix[2::5])]
    _write_badges(base / "badges-room.txt", room_mix or valid[:30])

    plan = DemoPlan(base=base, congress=congress, key_path=key_path, roster_path=roster_path,
                    room_session=session.id, printer_port=_free_port(),
                    badges_dir=base / "printed-badges")
    for name, offset, extra in (
        ("entrance", 0, {"BRAMKA_KIOSK__MODE": "entrance"}),
        ("room", 1, {"BRAMKA_KIOSK__MODE": "room", "BRAMKA_KIOSK__ROOM": room}),
    ):
        env = {
            "BRAMKA_KIOSK__ID": f"demo-{name}",
            "BRAMKA_KIOSK__DATA_DIR": str(base / f"kiosk-{name}"),
            "BRAMKA_KIOSK__PORT": str(port + offset),
            "BRAMKA_CAMERA__SOURCE": "demo",
            "BRAMKA_CAMERA__PATH": str(base / f"badges-{name}.txt"),
            "BRAMKA_PRINTER__BACKEND": "virtual" if name == "entrance" else "none",
            "BRAMKA_PRINTER__PORT": str(plan.printer_port),
            **extra,
        }
        plan.kiosks[name] = load_settings(None, env)
        plan.urls[f"kiosk-{name}"] = f"http://127.0.0.1:{port + offset}/"
    return plan


class DemoRunner:
    """Starts every part in this process and stops them in reverse order."""

    def __init__(self, plan: DemoPlan) -> None:
        self.plan = plan
        self._stops: list[Callable[[], Any]] = []
        self.stopped = threading.Event()

    def start(self) -> None:
        from werkzeug.serving import make_server

        from kiosk.runtime import KioskRuntime
        from kiosk.web import create_app
        from printers.virtual import VirtualPrinter
        from sync.roster import load_snapshot

        printer = VirtualPrinter(self.plan.badges_dir, port=self.plan.printer_port)
        printer.start()
        self._stops.append(printer.stop)
        snapshot = load_snapshot(self.plan.roster_path)
        for settings in self.plan.kiosks.values():
            runtime = KioskRuntime(settings)
            self._stops.append(runtime.stop)
            runtime.checkin.apply_roster(snapshot)
            if settings.kiosk.mode == "room":
                # Pinned like staff would, so the room kiosk has a session at any hour.
                runtime.checkin.set_session_override(self.plan.room_session)
            server = make_server(settings.kiosk.host, settings.kiosk.port, create_app(runtime),
                                 threaded=True)
            thread = threading.Thread(target=server.serve_forever, daemon=True,
                                      name=f"http-{settings.kiosk.id}")
            thread.start()
            self._stops.append(server.shutdown)
            runtime.start_devices()

    def stop(self) -> None:
        while self._stops:
            stop = self._stops.pop()
            try:
                stop()
            except Exception:  # keep stopping the rest
                log.exception("error while stopping the demo")
        self.stopped.set()


@click.command("demo")
@click.option("--dir", "base", type=click.Path(file_okay=False, path_type=Path),
              default=DEMO_DIR, show_default=True, help="Where the demo keeps its data.")
@click.option("--port", type=int, default=8080, show_default=True,
              help="First port: entrance kiosk; the room kiosk takes the next one.")
def demo_command(base: Path, port: int) -> None:
    """Run the demo congress: kiosks with simulated cameras and printer."""
    plan = plan_demo(base, port)
    runner = DemoRunner(plan)
    try:
        runner.start()
    except OSError as exc:
        runner.stop()
        raise click.ClickException(f"cannot start the demo: {exc}") from None
    room = plan.kiosks["room"].kiosk.room
    click.echo(f"""
Bramka demo: {plan.congress.name}
  Kiosk at the entrance:    {plan.urls['kiosk-entrance']}
  Kiosk at the room "{room}": {plan.urls['kiosk-room']}
                            (pinned to session {plan.room_session}; change it in staff mode)
  Staff mode on a kiosk:    /staff, PIN {plan.kiosks['entrance'].kiosk.staff_pin}
  Printed badges (PNG):     {plan.badges_dir}/  (virtual printer on port {plan.printer_port})
  Data:                     {plan.base}/
Press Ctrl-C to stop.
""")
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    click.echo("Stopping the demo...")
    runner.stop()
    click.echo("Demo stopped.")
