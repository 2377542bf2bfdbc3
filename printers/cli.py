"""``bramka printer ...`` and ``bramka badge ...``: the root CLI registers these two groups."""

from __future__ import annotations

import csv
import functools
import io
import json
import logging
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from bramka.config import BadgeSettings, ConfigError, Settings, default_config_path, load_settings
from printers.escpos_decode import decode_stream
from printers.escpos_encode import encode_image
from printers.fonts import FontNotFound
from printers.layout import BadgeData, BadgeRenderer
from printers.roles import ROLES
from printers.virtual_server import Fault

log = logging.getLogger(__name__)

ROLE_CHOICES = click.Choice(sorted([*ROLES, "guest_of_honour"]), case_sensitive=False)
CONTROL_FILENAME = "control"


def _settings(ctx: click.Context) -> Settings:
    """Settings from the root CLI's context object, else ``$BRAMKA_CONFIG`` / ``./config.toml``."""
    obj = ctx.find_object(Settings)
    if obj is not None:
        return obj
    if isinstance(ctx.obj, dict) and isinstance(ctx.obj.get("settings"), Settings):
        return ctx.obj["settings"]
    try:
        return load_settings(default_config_path())
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


# -- printer ------------------------------------------------------------------------------------


@click.group("printer")
def printer_group() -> None:
    """Badge printers: the virtual printer, faults, status / Drukarki identyfikatorów."""


@printer_group.command("profiles")
def profiles_command() -> None:
    """List the built-in printer profiles: NAME PROTOCOL MEDIA DPI.

    Wbudowane profile drukarek: nazwa, protokół, nośnik, rozdzielczość.
    """
    from printers.profiles import PROFILES

    for profile in PROFILES.values():
        click.echo(profile.line())


VIRTUAL_DEFAULTS = {"escpos": "", "ql": "ql-62", "zpl": "zpl-4x6-203"}


@printer_group.command("virtual")
@click.option(
    "--protocol",
    default="escpos",
    show_default=True,
    type=click.Choice(sorted(VIRTUAL_DEFAULTS)),
    help="What the virtual printer speaks.",
)
@click.option(
    "--profile",
    "profile_name",
    help="The media loaded, as a profile of that protocol [default: ql-62 / zpl-4x6-203].",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--port",
    default=9100,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="0 picks a free port (printed at start).",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the printed pages (page-00001.png, ...).",
)
@click.option("--paper-width", default=576, show_default=True, type=click.Choice(["384", "576"]))
@click.option(
    "--fault",
    default="ok",
    show_default=True,
    help="Start with a fault: ok, paper_out, cover_open, wrong_media, refuse, 'slow 2000'.",
)
@click.option(
    "--control",
    "control_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Control file polled for fault changes [default: OUT/control].",
)
def virtual_command(
    protocol: str,
    profile_name: str | None,
    host: str,
    port: int,
    out_dir: Path,
    paper_width: str,
    fault: str,
    control_file: Path | None,
) -> None:
    """Run a virtual network printer (ESC/POS, Brother QL or Zebra ZPL) that saves each
    printed label as a PNG and answers status requests.

    Uruchamia wirtualną drukarkę sieciową: każda wydrukowana etykieta trafia do OUT jako PNG.
    Change its fault while it runs: `bramka printer fault OUT paper_out`.
    """
    from printers.profiles import UnknownProfile, get_profile
    from printers.virtual_server import make_virtual

    try:
        initial = Fault.parse(fault)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--fault") from None
    name = profile_name or VIRTUAL_DEFAULTS[protocol]
    if not name:
        name = "escpos-80" if paper_width == "576" else "escpos-58"
    try:
        profile = get_profile(name)
    except UnknownProfile as exc:
        raise click.BadParameter(str(exc), param_hint="--profile") from None
    if profile.protocol != protocol:
        raise click.BadParameter(
            f"profile {name} is {profile.protocol}, not {protocol}", param_hint="--profile"
        )
    control = control_file or out_dir / CONTROL_FILENAME
    printer = make_virtual(profile, out_dir, host, port, control, initial)
    signal.signal(signal.SIGTERM, lambda *_: printer.request_stop())
    printer.start()
    click.echo(
        f"virtual {protocol} printer ({profile.name}) listening on {printer.host}:{printer.port} "
        f"(pages -> {out_dir}, control file {control}, fault {initial})",
        err=False,
    )
    try:
        printer.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        printer.stop()
        click.echo(f"virtual printer stopped: {len(printer.pages)} page(s) printed")


@printer_group.command("fault")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.argument("fault", nargs=-1, required=True)
def fault_command(out_dir: Path, fault: tuple[str, ...]) -> None:
    """Switch a running virtual printer's fault: ok | paper_out | cover_open | refuse |
    slow N | paper N (a roll for N more badges).

    Przełącza usterkę działającej wirtualnej drukarki (przez plik OUT/control).
    """
    line = " ".join(fault)
    if fault[0] != "paper":
        try:
            Fault.parse(line)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="FAULT") from None
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / CONTROL_FILENAME).write_text(line + "\n", encoding="utf-8")
    click.echo(f"fault set: {line}")


@printer_group.command("status")
@click.pass_context
def status_command(ctx: click.Context) -> None:
    """Ask the configured printer for its status / Stan skonfigurowanej drukarki."""
    from printers.backends import make_printer

    printer = make_printer(_settings(ctx).printer)
    status = printer.status()
    click.echo(f"{printer.name}: {status.state}" + (" (paper low)" if status.paper_low else ""))
    if status.detail and status.detail != printer.name:
        click.echo(status.detail)
    if not status.can_print:
        ctx.exit(1)


# -- badge --------------------------------------------------------------------------------------


@click.group("badge")
def badge_group() -> None:
    """Badges and invitations / Identyfikatory i zaproszenia."""


def _badge_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The badge's fields as options, passed to the command as one ``badge: BadgeData``."""
    options = [
        click.option("--name", required=True, help="Imię i nazwisko / full name."),
        click.option("--institution", default="", help="Instytucja / institution."),
        click.option("--role", default="participant", show_default=True, type=ROLE_CHOICES),
        click.option("--token", required=True, help="The QR token (120 characters, base32)."),
        click.option("--event-name", default="", help="Nazwa wydarzenia / event name."),
        click.option("--event-dates", default="", help="e.g. 12–14.05.2025"),
    ]

    @functools.wraps(func)
    def command(*args: Any, **kwargs: Any) -> Any:
        fields = {name: kwargs.pop(name) for name in BadgeData.__dataclass_fields__}
        return func(*args, badge=BadgeData(**fields), **kwargs)

    for option in reversed(options):
        command = option(command)
    return command


@contextmanager
def _user_errors(out: Path) -> Iterator[None]:
    """What goes wrong writing a badge file becomes a one-line error, not a traceback."""
    try:
        yield
    except FontNotFound as exc:
        raise click.ClickException(str(exc)) from None
    except (ValueError, csv.Error) as exc:  # an unknown role, a badge too big, a bad file
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if exc.filename is not None and Path(exc.filename) != Path(out):
            raise click.ClickException(f"{exc.filename}: {reason}") from None
        raise click.ClickException(f"cannot write {out}: {reason}") from None


_template_option = click.option(
    "--template",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The event's badge template, as the admin's badge page downloads it (JSON).",
)


def _load_template(path: Path | None) -> tuple[Any, dict[str, bytes]]:
    """``(BadgeTemplate, images)`` from an exported file, or ``(None, {})``."""
    from sync.badge_template import TemplateInvalid, load_export

    if path is None:
        return None, {}
    try:
        return load_export(path.read_bytes())
    except TemplateInvalid as exc:
        raise click.ClickException(f"{path}: {exc.pl} / {exc.en}") from None


@badge_group.command("render")
@_badge_options
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--paper-width",
    type=click.Choice(["384", "576"]),
    help="Dots [default: [printer] paper_width].",
)
@click.pass_context
def render_command(
    ctx: click.Context, badge: BadgeData, out: Path, paper_width: str | None
) -> None:
    """Render one badge as the printer prints it (PNG): layout -> ESC/POS -> decoded back.

    Zapisuje jeden identyfikator tak, jak wydrukuje go drukarka termiczna.
    """
    settings = _settings(ctx)
    width = int(paper_width) if paper_width else settings.printer.paper_width
    with _user_errors(out):
        image = BadgeRenderer(settings.badge, width).render(badge)
        pages = decode_stream(encode_image(image, width), width)
        pages[0].save(out, format="PNG")
    click.echo(f"{out}: {pages[0].width} x {pages[0].height} dots")


@badge_group.command("print")
@click.option("--profile", "profile_name", required=True, help="See `bramka printer profiles`.")
@click.option("--host", help="The printer's address [default: [printer] host].")
@click.option("--port", type=click.IntRange(1, 65535), help="[default: [printer] port]")
@click.option("--cups-printer", help="CUPS profiles: the queue [default: [printer] cups_printer].")
@_template_option
@_badge_options
@click.pass_context
def print_command(
    ctx: click.Context,
    badge: BadgeData,
    profile_name: str,
    host: str | None,
    port: int | None,
    cups_printer: str | None,
    template: Path | None,
) -> None:
    """Print one badge on a printer, to test it before doors open. Exit 0 only when the
    printer took the whole job (and, where it can say so, printed it).

    Drukuje jeden identyfikator, by sprawdzić drukarkę przed otwarciem wejścia.
    """
    from printers.badge_print import print_one

    settings = _settings(ctx).printer
    update: dict[str, Any] = {"profile": profile_name}
    if host or port:  # an address given here is a network printer's
        update["backend"] = "network"
    if host:
        update["host"] = host
    if port:
        update["port"] = port
    if cups_printer:
        update["cups_printer"] = cups_printer
    try:
        chosen = type(settings).model_validate({**settings.model_dump(), **update})
    except ValidationError as exc:
        message = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise click.ClickException(message) from None
    outcome = print_one(chosen, _settings(ctx).badge, badge, *_load_template(template))
    click.echo(outcome.text, err=not outcome.ok)
    if not outcome.ok:
        ctx.exit(1)


def read_roster(path: Path, event_name: str = "", event_dates: str = "") -> list[BadgeData]:
    """Badges from a CSV (columns name, institution, role, token; comma or semicolon;
    UTF-8 or Windows-1250) or JSON (a list of objects with the BadgeData fields)."""
    raw = path.read_bytes()
    if path.suffix.lower() == ".json":
        rows = json.loads(raw.decode("utf-8"))
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1250")
        if not text.strip():
            raise click.ClickException(f"{path}: the roster is empty")
        dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t")
        rows = list(csv.DictReader(io.StringIO(text), dialect=dialect))
    badges = []
    for number, row in enumerate(rows, start=2):
        row = {str(k).strip().lower(): v for k, v in row.items() if k is not None}
        if not row.get("name") or not row.get("token"):
            raise click.ClickException(f"{path}: row {number}: 'name' and 'token' are required")
        row.setdefault("event_name", event_name)
        row.setdefault("event_dates", event_dates)
        row["role"] = row.get("role") or "participant"
        badges.append(BadgeData.from_dict(row))
    return badges


@badge_group.command("sheets")
@click.option(
    "--roster",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV (name, institution, role, token) or JSON list.",
)
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--event-name", default="")
@click.option("--event-dates", default="")
@_template_option
@click.pass_context
def sheets_command(
    ctx: click.Context, roster: Path, out: Path, event_name: str, event_dates: str,
    template: Path | None,
) -> None:
    """A4 PDF sheets of badges (8 per page, A7; or the template's size) for pre-printing.

    Arkusze A4 z identyfikatorami (8 na stronie; albo wg wzoru z panelu) do wydruku
    przed wydarzeniem.
    """
    from printers.sheets import sheet_layout, write_sheets

    settings = _settings(ctx).badge
    layout = sheet_layout(*_load_template(template)) if template is not None else None
    with _user_errors(out):
        badges = read_roster(roster, event_name, event_dates)
        pages = write_sheets(badges, settings, out, layout)
    click.echo(f"{out}: {len(badges)} badges on {pages} pages")


@badge_group.command("invitation")
@_badge_options
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="FILE.png (the code) or FILE.pdf (one A4 page).",
)
@click.pass_context
def invitation_command(ctx: click.Context, badge: BadgeData, out: Path) -> None:
    """The invitation QR to e-mail: PNG, or a one-page PDF with the name and the code.

    Zaproszenie z kodem QR: PNG albo jednostronicowy PDF.
    """
    from printers.invitation import write_invitation

    settings: BadgeSettings = _settings(ctx).badge
    with _user_errors(out):
        write_invitation(badge, out, settings)
    click.echo(str(out))


main = click.Group(
    "printers",
    commands={"printer": printer_group, "badge": badge_group},
    help="Bramka printing commands (python -m printers.cli).",
)

if __name__ == "__main__":  # both groups without the root CLI
    main()
