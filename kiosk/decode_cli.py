"""``bramka decode``: read QR codes from images and video files, one JSON line per path."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click
import cv2

from kiosk.scanner.base import Decoder, DecoderUnavailable
from kiosk.scanner.decoders import DECODER_NAMES, make_decoder
from kiosk.scanner.frames import IMAGE_SUFFIXES


class MediaError(Exception):
    """A path that cannot be read as an image or a video."""


def _decode_image(decoder: Decoder, path: Path) -> dict[str, Any]:
    image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise MediaError("cannot read image")
    start = time.perf_counter()
    codes = decoder.decode(image)
    ms = (time.perf_counter() - start) * 1000
    return {"path": str(path), "codes": [{"text": c.text} for c in codes], "ms": round(ms, 3)}


def _decode_video(decoder: Decoder, path: Path) -> dict[str, Any]:
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise MediaError("cannot read as an image or a video")
        first_frame: dict[str, int] = {}
        frames = 0
        total = 0.0
        while True:
            ok, frame = cap.read()
            if not ok or frame is None:
                break
            grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
            start = time.perf_counter()
            codes = decoder.decode(grey)
            total += time.perf_counter() - start
            for code in codes:
                first_frame.setdefault(code.text, frames)
            frames += 1
    finally:
        cap.release()
    if frames == 0:
        raise MediaError("no readable frames")
    return {
        "path": str(path),
        "codes": [{"text": text, "first_frame": n} for text, n in first_frame.items()],
        "ms": round(total * 1000, 3),
        "frames": frames,
    }


def decode_path(decoder: Decoder, path: Path) -> dict[str, Any]:
    """The JSON-ready result for one path; raises :class:`MediaError` when unreadable."""
    if not path.exists():
        raise MediaError("no such file")
    if path.is_dir():
        raise MediaError("is a directory")
    if path.suffix.lower() in IMAGE_SUFFIXES or cv2.haveImageReader(str(path)):
        return _decode_image(decoder, path)
    return _decode_video(decoder, path)


@click.command("decode")
@click.option(
    "--decoder",
    "decoder_name",
    type=click.Choice(DECODER_NAMES),
    default="zxing",
    show_default=True,
    help="QR decoder library.",
)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def decode(decoder_name: str, paths: tuple[Path, ...]) -> None:
    """Read QR codes from images and video files.

    Prints one JSON object per PATH: {"path", "codes": [{"text"}], "ms"} (videos add
    "frames" and each code's "first_frame"), or {"path", "error"}. Exits 1 when any
    path failed.
    """
    try:
        decoder = make_decoder(decoder_name)
    except DecoderUnavailable as exc:
        raise click.ClickException(str(exc)) from None
    failed = False
    for path in paths:
        try:
            result = decode_path(decoder, path)
        except (MediaError, OSError, cv2.error, ValueError) as exc:
            failed = True
            result = {"path": str(path), "error": str(exc) or type(exc).__name__}
        click.echo(json.dumps(result))
    if failed:
        click.get_current_context().exit(1)
