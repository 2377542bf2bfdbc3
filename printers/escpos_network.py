"""python-escpos' ``Network`` printer, without its socket leak.

Its own ``open`` leaves the socket behind when the connection fails; this one connects
with :func:`socket.create_connection`, which closes it. A module of its own because
importing ``escpos.printer`` loads every python-escpos backend and its capability
tables: :mod:`printers.backends` imports this only when a network printer is opened.
"""

from __future__ import annotations

import socket

from escpos.exceptions import DeviceNotFoundError
from escpos.printer.network import Network


class ClosingNetwork(Network):  # type: ignore[misc]
    """A network ESC/POS printer whose failed ``open`` raises ``DeviceNotFoundError``
    and leaves no socket open."""

    def open(self, raise_not_found: bool = True) -> None:
        try:
            self.device = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as exc:
            self.device = None
            raise DeviceNotFoundError(f"{self.host}:{self.port}: {exc}") from None
