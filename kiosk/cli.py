"""``bramka kiosk``: serve the kiosk, load a roster, show status."""

from __future__ import annotations

import json
import logging
import signal
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import click

from bramka.config import ConfigError, Settings, default_config_path, load_settings
from sync.roster import RosterError, load_snapshot
from sync.wire import ENROLL_RETRY_MINUTES

from .store import StoreError, open_store

log = logging.getLogger(__name__)


def load_kiosk_settings(config: Path | None) -> Settings:
    try:
        return load_settings(config or default_config_path())
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


@click.group("kiosk")
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Settings file (default: $BRAMKA_CONFIG, else ./config.toml, else built-in).")
@click.pass_context
def kiosk_group(ctx: click.Context, config: Path | None) -> None:
    """Run and inspect a check-in kiosk."""
    ctx.obj = load_kiosk_settings(config)


@kiosk_group.command("load-roster")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def load_roster(settings: Settings, file: Path) -> None:
    """Load a roster snapshot (JSON) into this kiosk's database, all or nothing."""
    try:
        snapshot = load_snapshot(file)
        store = open_store(settings.kiosk.data_dir)
    except (RosterError, StoreError) as exc:
        raise click.ClickException(str(exc)) from None
    try:
        store.apply_roster(snapshot)
    except RosterError as exc:
        raise click.ClickException(f"roster not loaded, nothing changed: {exc}") from None
    finally:
        store.close()
    click.echo(f"Loaded {len(snapshot.attendees)} attendees, {len(snapshot.sessions)} sessions "
               f"for event {snapshot.event.id} ({snapshot.event.name}).")


@kiosk_group.command("enroll")
@click.argument("url")
@click.argument("code")
@click.pass_obj
def enroll(settings: Settings, url: str, code: str) -> None:
    """Enroll this kiosk with the admin at URL using the one-time CODE it shows.

    Exits 0 only when the kiosk holds its own token and the admin has accepted it."""
    from sync.transport import SyncRejected, TransportError

    from .checkin import CheckinService
    from .sync_client import (
        EnrollmentError,
        EnrollmentUnconfirmed,
        EnrollmentUnreachable,
        SyncClient,
    )

    try:
        store = open_store(settings.kiosk.data_dir)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        client = SyncClient(store, settings, checkin=CheckinService(store, settings.kiosk))
        try:
            reply = client.enroll(url, code)
        except EnrollmentUnconfirmed as exc:
            raise click.ClickException(
                f"Rejestracja niedokończona: {exc.pl}. Jeśli `bramka kiosk serve` nie dokończy "
                f"jej w ciągu {ENROLL_RETRY_MINUTES} minut, wygeneruj nowy kod.\n"
                f"Enrollment not finished: {exc}. If `bramka kiosk serve` does not finish it "
                f"within {ENROLL_RETRY_MINUTES} minutes, make a new code.") from None
        except EnrollmentUnreachable as exc:
            raise click.ClickException(
                f"Kiosk nie jest zarejestrowany: {exc.pl}. Jeśli panel jednak otrzymał "
                f"zapytanie, `bramka kiosk serve` albo to samo polecenie z tym samym kodem "
                f"w ciągu {ENROLL_RETRY_MINUTES} minut dokończy rejestrację.\n"
                f"Not enrolled: {exc}. If the admin did get the request, `bramka kiosk "
                f"serve` or this command with the same code within {ENROLL_RETRY_MINUTES} "
                "minutes finishes the enrollment.") from None
        except EnrollmentError as exc:
            raise click.ClickException(
                f"Kiosk nie jest zarejestrowany: {exc.pl}.\nNot enrolled: {exc}.") from None
        where = f"{reply.mode}" + (f", {reply.room}" if reply.room else "")
        click.echo(f"Zarejestrowano jako kiosk '{reply.kiosk_id}' ({where}) w panelu {url}.\n"
                   f"Enrolled as kiosk '{reply.kiosk_id}' ({where}) at {url}.")
        try:
            client.contact()
        except (TransportError, SyncRejected, RosterError) as exc:
            click.echo(f"Pierwsza synchronizacja nie zakończyła się ({exc}); "
                       "`bramka kiosk serve` ponowi ją sama.\n"
                       f"The first sync did not finish ({exc}); `bramka kiosk serve` retries "
                       "it by itself.", err=True)
        click.echo(f"Lista uczestników / participants: {store.reader.roster_size()}.")
    finally:
        store.close()


def _live_status(settings: Settings) -> dict[str, Any] | None:
    host = "127.0.0.1" if settings.kiosk.host in ("0.0.0.0", "::") else settings.kiosk.host
    url = f"http://{host}:{settings.kiosk.port}/status.json"
    try:
        with urllib.request.urlopen(url, timeout=1.5) as resp:  # noqa: S310 (local URL)
            return json.load(resp)
    except (urllib.error.URLError, OSError, ValueError):
        return None


@kiosk_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def status(settings: Settings, as_json: bool) -> None:
    """Roster size, scans today, camera, decoder and printer state."""
    data = _live_status(settings)
    if data is None:
        from .runtime import KioskRuntime

        try:
            runtime = KioskRuntime(settings)
        except StoreError as exc:
            raise click.ClickException(str(exc)) from None
        try:
            data = runtime.status()
        finally:
            runtime.stop()
        data["running"] = False
        data["camera"] = {"status": "kiosk not running"}
    else:
        data["running"] = True
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    event = data.get("event") or {}
    lines = [
        f"kiosk:        {data['kiosk']['id']} ({data['kiosk']['mode']}"
        + (f", room {data['kiosk']['room']})" if data["kiosk"].get("room") else ")"),
        f"running:      {'yes' if data['running'] else 'no'}",
        f"event:        {event.get('name', 'no roster loaded')}",
        f"roster:       {data['roster_size']} attendees",
        f"badge:        {_badge_line(data.get('badge_template'))}",
        f"scans today:  {data['scans_today']} ({data['unsent_scans']} not yet sent)",
        f"camera:       {data['camera'].get('status')} {data['camera'].get('message') or ''}",
        f"decoder:      {data['decoder']}",
        f"printer:      {data['printer'].get('status')} {data['printer'].get('message') or ''}",
        f"sync:         {data.get('sync', {}).get('status', 'off')} "
        f"{data.get('sync', {}).get('message') or ''}",
    ]
    lines += [f"warning:      {w['en']}" for w in data.get("warnings", [])]
    click.echo("\n".join(line.rstrip() for line in lines))


def _badge_line(digest: str | None) -> str:
    return f"template {digest[:12]}" if digest else "default"


@kiosk_group.command("serve")
@click.option("--no-camera", is_flag=True, help="Serve without scanning (staff mode only).")
@click.pass_obj
def serve(settings: Settings, no_camera: bool) -> None:
    """Run the kiosk: scanner, printer queue and the full-screen page."""
    from werkzeug.serving import make_server

    from .runtime import KioskRuntime
    from .web import create_app

    try:
        runtime = KioskRuntime(settings)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    k = settings.kiosk
    try:
        server = make_server(k.host, k.port, create_app(runtime), threaded=True)
    except OSError as exc:
        runtime.stop()
        raise click.ClickException(f"cannot listen on {k.host}:{k.port}: {exc.strerror}") from None
    runtime.start_devices(camera=not no_camera)

    def _stop(signum: int, _frame: Any) -> None:
        log.info("signal %s: stopping", signum)
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    click.echo(f"Kiosk '{k.id}' ({k.mode}) on http://{k.host}:{server.port}/", err=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        runtime.stop()
        click.echo("Kiosk stopped.", err=True)
