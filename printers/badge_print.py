"""One badge straight to a printer (``bramka badge print``): the kiosk's own encoder and
printer classes, and a sentence in Polish and English for what happened."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from bramka.config import BadgeSettings, PrinterSettings
from printers.backends import PrinterError, PrinterStatus, make_printer
from printers.jobs import BadgeEncoder
from printers.layout import BadgeData
from printers.messages import printer_message
from sync.badge_template import BadgeTemplate

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PrintOutcome:
    ok: bool
    text: str
    code: str | None = None


def print_one(printer: PrinterSettings, badge: BadgeSettings, data: BadgeData,
              template: BadgeTemplate | None = None,
              images: Mapping[str, bytes] | None = None) -> PrintOutcome:
    """Render, encode and send one badge (in the event's ``template`` when given); never
    raises for a printer's fault."""
    encoder = BadgeEncoder.for_settings(printer, badge, template, images)
    try:
        job = encoder.encode(data)
    except ValueError as exc:  # an unknown role, a badge too big for the label
        return PrintOutcome(False, f"Nie da się przygotować identyfikatora / badge: {exc}",
                            "badge_invalid")
    device = make_printer(printer)
    try:
        with device:
            device.send(job)
    except PrinterError as exc:
        said = printer_message(PrinterStatus(exc.state, str(exc)), exc.code)
        return PrintOutcome(False, f"{said.pl}\n{said.en}\n({exc})", exc.code)
    return PrintOutcome(
        True,
        f"Wydrukowano / printed: {encoder.profile.name}, {len(job)} B -> {device.name}",
    )
