"""What people read about the printer: one short sentence per state and error, Polish and English.

Every :data:`~printers.backends.PrinterState` and every
:class:`~printers.backends.PrinterError` ``code`` has a sentence (a test keeps it so).
"""

from __future__ import annotations

from printers.backends import PrinterState, PrinterStatus
from sync.words import Bilingual

PrinterMessage = Bilingual  # the one Polish/English pair (sync.words)


STATE_MESSAGES: dict[PrinterState, PrinterMessage] = {
    "ready": PrinterMessage("Drukarka jest gotowa.", "The printer is ready."),
    "paper_out": PrinterMessage("Brak papieru w drukarce.", "The printer is out of paper."),
    "cover_open": PrinterMessage("Pokrywa drukarki jest otwarta.", "The printer cover is open."),
    "error": PrinterMessage("Drukarka zgłasza błąd.", "The printer reports an error."),
    "offline": PrinterMessage("Brak połączenia z drukarką.", "The printer cannot be reached."),
    "unknown": PrinterMessage("Stan drukarki jest nieznany.", "The printer's state is unknown."),
}

ERROR_MESSAGES: dict[str, PrinterMessage] = {
    "printer_error": PrinterMessage(
        "Nie udało się wydrukować identyfikatora.", "The badge could not be printed."
    ),
    "printer_offline": PrinterMessage(
        "Brak połączenia z drukarką: sprawdź kabel i zasilanie.",
        "The printer cannot be reached: check its cable and power.",
    ),
    "printer_timeout": PrinterMessage(
        "Drukarka przestała odpowiadać.", "The printer stopped responding."
    ),
    "printer_driver_missing": PrinterMessage(
        "Na tym komputerze brakuje sterownika drukarki.",
        "The printer driver is missing on this computer.",
    ),
    "wrong_media": PrinterMessage(
        "W drukarce są etykiety innego rozmiaru niż w profilu drukarki.",
        "The printer holds labels of another size than its profile says.",
    ),
    "paper_out": STATE_MESSAGES["paper_out"],
    "cover_open": STATE_MESSAGES["cover_open"],
    "printer_fault": PrinterMessage(
        "Drukarka zgłasza usterkę (np. zacięty obcinacz, przegrzanie).",
        "The printer reports a fault (a jammed cutter or overheating, say).",
    ),
}

PAPER_LOW = PrinterMessage("W drukarce kończy się papier.", "The printer is running low on paper.")


def printer_message(status: PrinterStatus, code: str | None = None) -> PrinterMessage:
    """The sentence for an error ``code`` when there is one, else for the printer's state."""
    if code is not None and code in ERROR_MESSAGES:
        return ERROR_MESSAGES[code]
    if status.state == "ready" and status.paper_low:
        return PAPER_LOW
    return STATE_MESSAGES.get(status.state, STATE_MESSAGES["unknown"])
