"""Printer profiles, as the printing code names them.

The table itself is :mod:`bramka.printer_profiles`: the settings check a profile when
``config.toml`` is read and may import no part of Bramka, so it lives beneath both.
"""

from bramka.printer_profiles import (
    PROFILES,
    PrinterProfile,
    UnknownProfile,
    get_profile,
    half_density,
)

__all__ = ["PROFILES", "PrinterProfile", "UnknownProfile", "get_profile", "half_density"]
