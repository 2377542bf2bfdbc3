"""The ``bramka`` command. Each part registers its own group; they load lazily."""

from __future__ import annotations

import importlib
import logging
import sys

import click

from . import __version__

# name -> "module:attribute"; loaded only when used, so `bramka token ...` on a kiosk
# never imports the admin's database drivers.
COMMANDS: dict[str, str] = {
    "kiosk": "kiosk.cli:kiosk_group",
    "decode": "kiosk.decode_cli:decode",
    "token": "sync.cli:token_group",
    "audit": "sync.cli:audit_group",
    "printer": "printers.cli:printer_group",
    "badge": "printers.cli:badge_group",
    "admin": "admin.cli:admin_group",
    "demo": "bramka.demo:demo_command",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        try:
            return getattr(importlib.import_module(module), attr)
        except ImportError as exc:
            message = f"'bramka {cmd_name}' is not available on this installation: {exc}"

            def unavailable() -> None:
                raise click.ClickException(message)

            return click.Command(cmd_name, callback=unavailable, help=f"(unavailable: {exc})")


QUIET_UNLESS_VERBOSE = ("alembic", "werkzeug")


@click.group(cls=LazyGroup)
@click.version_option(__version__, prog_name="bramka")
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
def cli(verbose: bool) -> None:
    """Bramka: conference check-in kiosks, badges and admin."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # PDF font subsetting narrates every table at INFO: never news for an operator.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    # Alembic narrates every migration step and plugin, werkzeug every request: shown
    # only when asked for with -v.
    for noisy in QUIET_UNLESS_VERBOSE:
        logging.getLogger(noisy).setLevel(logging.NOTSET if verbose else logging.WARNING)


def main() -> None:
    cli()
