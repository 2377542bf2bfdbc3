"""A virtual Brother QL: raster commands over TCP on 127.0.0.1, each label saved as a PNG.

Loaded with the media of a profile (62 mm endless, 62 x 100 mm die-cut, ...), it
answers ``ESC i S`` with the 32-byte status, prints each page the parser hands
it (:mod:`printers.ql_decode`) cropped to the printable width (and, on die-cut
labels, the label's length), and reports as a QL does: a phase change to
printing, "printing completed", a phase change back to receiving. Under a fault
the page is lost and an "error occurred" status goes back. Faults are those of
every virtual printer (:mod:`printers.virtual_server`); ``wrong_media`` loads a
29 mm endless roll, and a job made for other media than the loaded one fails
with "replace media" as on the real printer.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PIL import Image

from printers.profiles import PrinterProfile
from printers.ql_decode import Page, QlParser
from printers.ql_raster import (
    E1_END_OF_MEDIA,
    E1_NO_MEDIA,
    E2_COVER_OPEN,
    E2_REPLACE_MEDIA,
    ERROR_OCCURRED,
    MEDIA_CONTINUOUS,
    MEDIA_DIE_CUT,
    PHASE_CHANGE,
    PHASE_PRINTING,
    PHASE_RECEIVING,
    PRINTING_COMPLETED,
    QlStatus,
    head_offset,
)
from printers.virtual_server import Fault, StreamParser, VirtualServer

log = logging.getLogger(__name__)

OTHER_ROLL = (29, MEDIA_CONTINUOUS, 0)  # what wrong_media loads


class VirtualQl(VirtualServer):
    protocol = "ql"

    def __init__(
        self,
        out_dir: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        profile: PrinterProfile | None = None,
        control_file: Path | None = None,
        fault: Fault | str = "ok",
    ) -> None:
        super().__init__(out_dir, host, port, control_file, fault)
        from printers.profiles import get_profile

        self.profile = profile or get_profile("ql-62")

    def new_parser(self) -> StreamParser:
        return QlParser(self)

    def _media(self) -> tuple[int, int, int]:
        if self.wrong_media:
            return OTHER_ROLL
        profile = self.profile
        if profile.endless:
            return round(profile.width_mm), MEDIA_CONTINUOUS, 0
        return round(profile.width_mm), MEDIA_DIE_CUT, round(profile.length_mm or 0)

    def _status(self, status_type: int = 0, phase: int = PHASE_RECEIVING,
                error2: int = 0) -> QlStatus:
        """Call with the lock held."""
        width, kind, length = self._media()
        error1 = 0
        if self.paper_out:
            error1 = E1_END_OF_MEDIA if kind == MEDIA_DIE_CUT else E1_NO_MEDIA
            width, kind, length = 0, 0, 0
        if self.cover_open:
            error2 |= E2_COVER_OPEN
        return QlStatus(error1, error2, width, kind, length, status_type, phase)

    # -- the machine the parser drives ----------------------------------------------------------

    def status(self) -> bytes:
        with self._lock:
            return self._status().to_bytes()

    def print_page(self, page: Page) -> bytes:
        with self._lock:
            media = page.media
            wrong = media is not None and (media.media_type, media.width_mm, media.length_mm) != (
                self._media()[1], self._media()[0], self._media()[2]
            )
            if self.paper_out or self.cover_open or wrong or not self.take_paper():
                self.lost_pages += 1
                error = self._status(ERROR_OCCURRED, error2=E2_REPLACE_MEDIA if wrong else 0)
                log.info("virtual QL: page lost (%s)", "wrong media" if wrong else self.fault)
                return error.to_bytes()
            self.save_page(self._label(page))
            return b"".join(
                self._status(kind, phase).to_bytes()
                for kind, phase in (
                    (PHASE_CHANGE, PHASE_PRINTING),
                    (PRINTING_COMPLETED, PHASE_PRINTING),
                    (PHASE_CHANGE, PHASE_RECEIVING),
                )
            )

    def _label(self, page: Page) -> Image.Image:
        """The printable area of what the head burnt (die-cut: the label's length)."""
        profile = self.profile
        image = page.image()
        left = image.width - head_offset(profile) - profile.width_dots
        height = profile.length_dots or image.height
        label = Image.new("1", (profile.width_dots, height), 1)
        label.paste(image.crop((left, 0, left + profile.width_dots, image.height)), (0, 0))
        return label
