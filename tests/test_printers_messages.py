"""Every printer state and error has a short sentence in Polish and in English."""

from __future__ import annotations

from typing import get_args

import pytest

from printers.backends import PrinterError, PrinterState, PrinterStatus
from printers.messages import ERROR_MESSAGES, PAPER_LOW, STATE_MESSAGES, printer_message


def error_codes() -> set[str]:
    found, todo = set(), [PrinterError]
    while todo:
        cls = todo.pop()
        found.add(cls.code)
        todo += cls.__subclasses__()
    return found


def test_every_state_and_every_error_code_has_both_languages() -> None:
    assert set(STATE_MESSAGES) == set(get_args(PrinterState))
    assert error_codes() <= set(ERROR_MESSAGES)
    for message in [*STATE_MESSAGES.values(), *ERROR_MESSAGES.values(), PAPER_LOW]:
        assert message.pl and message.en and message.pl != message.en
        assert message.pl.endswith(".") and message.en.endswith(".")


def test_paper_out_in_both_languages() -> None:
    message = printer_message(PrinterStatus("paper_out"))
    assert (message.pl, message.en) == ("Brak papieru w drukarce.", "The printer is out of paper.")


@pytest.mark.parametrize(
    ("status", "code", "english"),
    [
        (PrinterStatus("offline"), "printer_timeout", "The printer stopped responding."),
        (PrinterStatus("offline"), None, "The printer cannot be reached."),
        (PrinterStatus("ready", paper_low=True), None, "The printer is running low on paper."),
        (PrinterStatus("ready"), "no_such_code", "The printer is ready."),
    ],
)
def test_the_error_code_speaks_first_then_the_state(
    status: PrinterStatus, code: str | None, english: str
) -> None:
    assert printer_message(status, code).en == english
