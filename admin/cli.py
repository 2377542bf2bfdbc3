"""``bramka admin ...``: accounts, migrations, imports, retention, and the web server."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

import click
from sqlalchemy import Engine

from admin.importer import FIELDS as IMPORT_FIELDS
from bramka.config import AdminSettings, ConfigError, Settings, default_config_path, load_settings


def _settings(ctx: click.Context) -> AdminSettings:
    obj = ctx.find_root().obj
    if isinstance(obj, dict) and isinstance(obj.get("settings"), Settings):
        return obj["settings"].admin
    if isinstance(obj, Settings):
        return obj.admin
    path = ctx.find_object(dict).get("config_path") if ctx.find_object(dict) else None
    try:
        return load_settings(path or default_config_path()).admin
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _engine(ctx: click.Context, migrate: bool = True) -> Engine:
    from admin.db import DatabaseError, make_engine
    from admin.db import migrate as run_migrations

    settings = _settings(ctx)
    try:
        engine = make_engine(settings.database_url)
        if migrate:
            run_migrations(engine)
    except DatabaseError as exc:
        raise click.ClickException(str(exc)) from None
    return engine


@click.group("admin")
@click.option("--config", "config_path", type=click.Path(path_type=Path), default=None,
              help="config.toml to read (default: $BRAMKA_CONFIG or ./config.toml).")
@click.pass_context
def admin_group(ctx: click.Context, config_path: Path | None) -> None:
    """The central admin: organizers' and volunteers' web application."""
    ctx.ensure_object(dict)
    if isinstance(ctx.obj, dict) and config_path is not None:
        ctx.obj["config_path"] = config_path


@admin_group.command("migrate")
@click.pass_context
def migrate_cmd(ctx: click.Context) -> None:
    """Create or upgrade the database schema."""
    from admin.db import current_revision

    engine = _engine(ctx)
    click.echo(f"database at revision {current_revision(engine)}")
    engine.dispose()


@admin_group.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(["organizer", "volunteer"]), required=True)
@click.option("--name", "display_name", default="", help="Full name shown in the app.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Prompted when not given; at least 10 characters.")
@click.pass_context
def create_user_cmd(ctx: click.Context, username: str, role: str, display_name: str,
                    password: str) -> None:
    """Create an organizer or volunteer account."""
    from admin.errors import AdminError
    from admin.queries.users import create_user

    engine = _engine(ctx)
    try:
        with engine.begin() as conn:
            user_id = create_user(conn, username, password, role, display_name)
    except AdminError as exc:
        raise click.ClickException(exc.en) from None
    finally:
        engine.dispose()
    click.echo(f"created {role} '{username}' (id {user_id})")


def _pick_event(engine: Engine, event_id: int | None) -> int:
    from admin.errors import NotFound
    from admin.queries.events import current_event_id, get_event
    from sync.timekeeping import utc_now

    with engine.connect() as conn:
        if event_id is not None:
            try:
                get_event(conn, event_id)
            except NotFound:
                raise click.ClickException(f"no event {event_id}") from None
            return event_id
        found = current_event_id(conn, utc_now())
    if found is None:
        raise click.ClickException("no event yet: create one in the admin first")
    return found


@admin_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--event", "event_id", type=int, default=None,
              help="Event id (default: the current or next event).")
@click.option("--dry-run", is_flag=True, help="Show what would happen; change nothing.")
@click.option("--map", "mappings", multiple=True, metavar="FIELD=COLUMN",
              help="Column for a field by header, letter or number, e.g. --map email=C. "
                   f"Fields: {' '.join(IMPORT_FIELDS)}.")
@click.option("--over-capacity", type=click.Choice(["waitlist", "accept"]),
              default="waitlist", show_default=True,
              help="A session the file fills past its seats: the first comers (by the "
                   "sheet's order) get the seats and the rest its waiting list, or "
                   "everyone is registered, over the limit on purpose.")
@click.pass_context
def import_cmd(ctx: click.Context, file: Path, event_id: int | None, dry_run: bool,
               mappings: tuple[str, ...], over_capacity: str) -> None:
    """Import registrations from a CSV or XLSX file."""
    from admin.importer import ImportFileError
    from admin.queries.importing import run_import

    spec: dict[str, str] | None = None
    if mappings:
        spec = {}
        for item in mappings:
            name, sep, column = item.partition("=")
            if not sep:
                raise click.BadParameter(f"'{item}' is not FIELD=COLUMN", param_hint="--map")
            spec[name.strip()] = column
    engine = _engine(ctx)
    event = _pick_event(engine, event_id)
    data = file.read_bytes()
    try:
        with click.progressbar(length=1, label="importing", file=sys.stderr) as bar:
            state = {"last": 0}

            def progress(done: int, total: int) -> None:
                bar.length = total
                bar.update(done - state["last"])
                state["last"] = done

            with engine.begin() as conn:
                result = run_import(conn, event, data, file.name, mapping_spec=spec,
                                    dry_run=dry_run, username="cli", progress=progress,
                                    capacity=over_capacity)
    except ImportFileError as exc:
        raise click.ClickException(f"{file.name}: {exc.en} (nothing was imported)") from None
    finally:
        engine.dispose()
    _report(result, dry_run)


def _report(result: Any, dry_run: bool) -> None:
    from admin.importer import FIELD_LABELS

    s = result.summary()
    cols = ", ".join(f"{FIELD_LABELS[f][1]}='{result.headers[c]}'"
                     for f, c in result.mapping.items())
    click.echo(f"columns: {cols}")
    verb = "would create" if dry_run else "created"
    click.echo(f"{verb} {s['created']}, updated {s['updated']}, unchanged {s['unchanged']}, "
               f"rejected {s['rejected']}, superseded {s['superseded']}, empty {s['empty']}, "
               f"workshop registrations {s['registrations']}")
    plan = result.plan
    titles = dict(result.sessions)
    for pc in plan.program_columns:
        if pc.session_id is not None:
            click.echo(f"column '{pc.header}': yes ({pc.yes}) registers for "
                       f"'{titles.get(pc.session_id, pc.session_id)}'")
    for note in plan.column_notes:
        click.echo(f"warning: {note.en}")
    for o in result.over_capacity:
        click.echo(f"over capacity: '{o.title}' has {o.capacity} seats, {o.registered} "
                   f"registered, {o.incoming} more in the file")
    if not dry_run and result.waitlisted:
        click.echo(f"waiting lists: {result.waitlisted} (no seats left)")
    for r in plan.rejected:
        click.echo(f"row {plan.where(r.row)}: rejected: {r.en}")
    for row, by in plan.superseded:
        click.echo(f"row {plan.where(row)}: replaced by row {plan.where(by)} (same person)")
    for w in plan.warnings:
        click.echo(f"row {plan.where(w.row)}: warning: {w.en}")
    if dry_run:
        click.echo("dry run: nothing was changed")


@admin_group.command("serve")
@click.option("--host", default=None, help="Default: [admin] host.")
@click.option("--port", type=int, default=None, help="Default: [admin] port.")
@click.option("--threads", type=int, default=8, show_default=True)
@click.pass_context
def serve_cmd(ctx: click.Context, host: str | None, port: int | None, threads: int) -> None:
    """Run the admin web application (waitress)."""
    from waitress import serve

    from admin import create_app

    settings = _settings(ctx)
    app = create_app(settings)
    host = host or settings.host
    port = port or settings.port
    click.echo(f"Bramka admin on http://{host}:{port}/")
    serve(app, host=host, port=port, threads=threads)


@admin_group.command("retention")
@click.option("--days", type=int, default=None,
              help="Keep personal data this many days after an event ends "
                   "(default: [admin] retention_days).")
@click.option("--dry-run", is_flag=True, help="Only list the events that are due.")
@click.pass_context
def retention_cmd(ctx: click.Context, days: int | None, dry_run: bool) -> None:
    """Delete personal data of events past the retention period (anonymous counts stay)."""
    from admin.retention import purge_expired

    days = _settings(ctx).retention_days if days is None else days
    engine = _engine(ctx)
    try:
        with engine.begin() as conn:
            purged = purge_expired(conn, date.today(), days, dry_run=dry_run)
    finally:
        engine.dispose()
    if not purged:
        click.echo(f"no event ended more than {days} days ago with personal data left")
    for p in purged:
        verb = "would delete" if dry_run else "deleted"
        click.echo(f"event {p.event_id} '{p.name}': {verb} personal data of {p.people} people")


@admin_group.command("send-invitations")
@click.option("--event", "event_id", type=int, default=None,
              help="Event id (default: the current or next event).")
@click.option("--retry-failed/--no-retry-failed", default=True, show_default=True,
              help="Also resend to people whose last sending failed.")
@click.option("--retry-uncertain", is_flag=True,
              help="Also send to those a stopped run left uncertain (the server may have "
                   "accepted their message: some may get it twice).")
@click.pass_context
def send_invitations_cmd(ctx: click.Context, event_id: int | None, retry_failed: bool,
                         retry_uncertain: bool) -> None:
    """E-mail each registrant who has not got one yet their QR invitation.

    Safe to run again after a crash or Ctrl-C: it continues with those not sent yet and
    mails nobody twice (see admin/invitations.py).
    """
    from admin.invitations import Outcome, send_invitations
    from admin.queries.invitations import pending_ids

    settings = _settings(ctx)
    engine = _engine(ctx)
    event = _pick_event(engine, event_id)
    try:
        with engine.connect() as conn:
            ids = pending_ids(conn, event, include_failed=retry_failed,
                              include_uncertain=retry_uncertain)
        with click.progressbar(length=max(1, len(ids)), label="sending",
                               file=sys.stderr) as bar:
            state = {"last": 0}

            def progress(done: int, total: int, outcome: Outcome) -> None:
                bar.update(done - state["last"])
                state["last"] = done

            out = send_invitations(engine, settings, event, ids, progress,
                                   retry_uncertain=retry_uncertain)
    finally:
        engine.dispose()
    click.echo(f"sent {out.sent}, failed {out.failed}, skipped {out.skipped}, "
               f"uncertain {out.uncertain}")
    if out.failed or out.uncertain:
        sys.exit(1)


@admin_group.group("audit")
def audit_group() -> None:
    """Checks an auditor can run on the stored record."""


@audit_group.command("verify")
@click.option("--event", "event_id", type=int, default=None,
              help="Only the kiosks of this event (default: every kiosk).")
@click.pass_context
def audit_verify_cmd(ctx: click.Context, event_id: int | None) -> None:
    """Re-verify every kiosk's stored scan chain and signed heads; exit 1 if any is broken."""
    from admin.scan_chain import audit

    engine = _engine(ctx)
    try:
        with engine.connect() as conn:
            reports = audit(conn, event_id)
    finally:
        engine.dispose()
    broken = 0
    for r in reports:
        state = "BROKEN" if r.broken else "ok"
        click.echo(f"{state:6} {r.kiosk_id} ({r.name}): {r.scans} chained scans, "
                   f"{r.heads} signed heads, {r.unchained} unchained")
        for problem in r.broken:
            click.echo(f"       {problem}")
        broken += bool(r.broken)
    if not reports:
        click.echo("no kiosks / brak kiosków")
    click.echo(f"{len(reports) - broken} of {len(reports)} kiosk chains hold"
               + (f"; {broken} broken" if broken else ""))
    if broken:
        sys.exit(1)
