"""QR decoders behind the :class:`Decoder` interface: zxing-cpp (default) and pyzbar.

Both libraries are imported lazily, when a decoder is built, so a machine missing
one of them can still run the other; a missing library raises
:class:`DecoderUnavailable` naming the package to install.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import cv2
import numpy as np

from kiosk.scanner.base import DecodedCode, Decoder, DecoderUnavailable

log = logging.getLogger(__name__)

DecoderName = Literal["zxing", "zbar"]
DECODER_NAMES: tuple[DecoderName, ...] = ("zxing", "zbar")


def to_grey(frame: np.ndarray) -> np.ndarray:
    """Return a contiguous single-channel ``uint8`` view of a BGR, BGRA or greyscale frame."""
    if frame.ndim == 3:
        channels = frame.shape[2]
        if channels == 1:
            frame = frame[:, :, 0]
        elif channels == 3:
            frame = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        elif channels == 4:
            frame = cv2.cvtColor(frame, cv2.COLOR_BGRA2GRAY)
        else:
            raise ValueError(f"unsupported frame shape {frame.shape}")
    elif frame.ndim != 2:
        raise ValueError(f"unsupported frame shape {frame.shape}")
    if frame.dtype != np.uint8:
        raise ValueError(f"frames must be uint8, got {frame.dtype}")
    return np.ascontiguousarray(frame)


def _unique(texts: list[str]) -> list[DecodedCode]:
    seen: dict[str, None] = {}
    for text in texts:
        if text:
            seen.setdefault(text, None)
    return [DecodedCode(text) for text in seen]


class ZxingDecoder(Decoder):
    """zxing-cpp's ``read_barcodes``, restricted to QR codes, on a greyscale image.

    ``try_invert`` (light-on-dark codes) is off by default: badges are printed dark
    on white, and skipping the inverted pass makes empty frames about 40 % cheaper.
    """

    name = "zxing"

    def __init__(self, *, try_invert: bool = False) -> None:
        try:
            import zxingcpp
        except ImportError as exc:
            raise DecoderUnavailable(
                "decoder 'zxing' needs the zxing-cpp library: pip install zxing-cpp "
                f"({exc})"
            ) from None
        self._zxing: Any = zxingcpp
        self._formats = zxingcpp.BarcodeFormat.QRCode
        self._try_invert = try_invert

    def decode(self, frame: np.ndarray) -> list[DecodedCode]:
        grey = to_grey(frame)
        results = self._zxing.read_barcodes(
            grey, formats=self._formats, try_invert=self._try_invert
        )
        return _unique([r.text for r in results if r.valid])


def _bytes_to_text(data: bytes) -> str:
    """ASCII when it is ASCII, else UTF-8 when valid, else latin-1 (which never fails)."""
    try:
        return data.decode("ascii")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


class ZbarDecoder(Decoder):
    """pyzbar (libzbar0), restricted to QR codes.

    zbar guesses the text encoding of non-ASCII payloads and often guesses wrong;
    Bramka's tokens are ASCII, so the raw bytes are decoded here as ASCII, with
    UTF-8 and then latin-1 as fallbacks that never raise.
    """

    name = "zbar"

    def __init__(self) -> None:
        try:
            from pyzbar import pyzbar
        except ImportError as exc:
            raise DecoderUnavailable(
                "decoder 'zbar' needs pyzbar and the zbar shared library: "
                f"pip install pyzbar and apt-get install libzbar0 ({exc})"
            ) from None
        self._pyzbar: Any = pyzbar
        self._symbols = [pyzbar.ZBarSymbol.QRCODE]

    def decode(self, frame: np.ndarray) -> list[DecodedCode]:
        grey = to_grey(frame)
        results = self._pyzbar.decode(grey, symbols=self._symbols)
        return _unique([_bytes_to_text(r.data) for r in results])


def make_decoder(name: str) -> Decoder:
    """Build the decoder named in ``[scanner] decoder``: ``"zxing"`` or ``"zbar"``."""
    if name == "zxing":
        return ZxingDecoder()
    if name == "zbar":
        return ZbarDecoder()
    raise ValueError(f"unknown decoder {name!r}: choose one of {', '.join(DECODER_NAMES)}")
