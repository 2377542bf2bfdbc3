"""Test media for the scanner: QR images, camera-like frames, and short AVI clips.

Used by the scanner tests, the benchmarks in ``bench/`` and the kiosk's end-to-end
tests. The renderer here is independent of ``kiosk.scanner.demo_source`` on
purpose, so a bug there cannot hide in the media the tests are checked against.

Stable entry points: :func:`make_badge_clip`, :func:`make_empty_clip`,
:func:`make_qr_png`, :func:`camera_frame`, :func:`example_token`.

The badge card at the default 4 pixels per module is about 210 x 290 pixels: it
needs the default 640x480 frame (or ``scale`` < 0.8 in smaller ones).
"""

from __future__ import annotations

import base64
import hashlib
import math
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import segno

FRAME_SIZE = (640, 480)  # width, height


def example_token(seed: int | str = 0) -> str:
    """A 120-character RFC 4648 base32 text shaped like a Bramka badge token (not signed)."""
    raw = b""
    counter = 0
    while len(raw) < 75:
        raw += hashlib.sha256(f"bramka-test-{seed}-{counter}".encode()).digest()
        counter += 1
    return base64.b32encode(raw[:75]).decode("ascii")


def qr_image(text: str, *, module_px: int = 4, quiet_modules: int = 4) -> np.ndarray:
    """A greyscale QR code at error level M with a ``quiet_modules`` quiet zone."""
    qr = segno.make(text, error="m", micro=False, boost_error=False)
    dark = np.asarray(qr.matrix, dtype=bool)
    image = np.where(dark, 0, 255).astype(np.uint8)
    image = np.pad(image, quiet_modules, constant_values=255)
    return cv2.resize(
        image,
        (image.shape[1] * module_px, image.shape[0] * module_px),
        interpolation=cv2.INTER_NEAREST,
    )


def badge_card(text: str, *, module_px: int = 4) -> np.ndarray:
    """A BGR white card: a dark header strip, three grey "text" bars, the QR code."""
    qr = qr_image(text, module_px=module_px)
    side = qr.shape[0]
    width, height = side + 30, side + 110
    card = np.full((height, width, 3), 245, dtype=np.uint8)
    card[:26] = (120, 60, 20)
    for i, length in enumerate((0.8, 0.6, 0.4)):
        y = 36 + i * 20
        card[y:y + 9, 12:12 + int((width - 24) * length)] = 90
    card[height - side - 10:height - 10, 15:15 + side] = qr[:, :, None]
    return card


def background(seed: int = 0, size: tuple[int, int] = FRAME_SIZE) -> np.ndarray:
    """A BGR floor/desk-like texture with uneven light."""
    width, height = size
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(0, 255, (height // 20 + 2, width // 20 + 2)).astype(np.float32)
    texture = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    light = 0.7 + 0.3 * np.cos((xs / width - 0.3) * math.pi) * np.cos((ys / height - 0.5) * 2.5)
    grey = np.clip((50 + 0.4 * texture) * light, 0, 255)
    return np.repeat(grey[:, :, None], 3, axis=2).astype(np.uint8)


def degrade(
    frame: np.ndarray, *, blur: float = 0.0, noise: float = 0.0, rng: np.random.Generator
) -> np.ndarray:
    """Gaussian blur of sigma ``blur`` pixels, then Gaussian noise of sigma ``noise`` levels."""
    out = frame
    if blur > 0:
        out = cv2.GaussianBlur(out, (0, 0), blur)
    if noise > 0:
        noisy = out.astype(np.float32) + rng.normal(0.0, noise, out.shape).astype(np.float32)
        out = np.clip(noisy, 0, 255).astype(np.uint8)
    return out


def _place(
    frame: np.ndarray,
    card: np.ndarray,
    center: tuple[float, float],
    *,
    scale: float,
    rotate_deg: float,
    perspective: float,
    rng: np.random.Generator,
) -> None:
    """Warp ``card`` onto ``frame`` around ``center`` (in place)."""
    h, w = card.shape[:2]
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    corners = (src - [w / 2, h / 2]) * scale
    angle = math.radians(rotate_deg)
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    corners = corners @ rot.T
    if perspective > 0:
        corners += rng.uniform(-perspective, perspective, corners.shape) * [w * scale, h * scale]
    dst = (corners + center).astype(np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    fh, fw = frame.shape[:2]
    cv2.warpPerspective(
        card, matrix, (fw, fh), dst=frame, flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_TRANSPARENT,
    )


def camera_frame(
    token: str | None,
    *,
    seed: int = 0,
    size: tuple[int, int] = FRAME_SIZE,
    center: tuple[float, float] | None = None,
    scale: float = 1.0,
    rotate_deg: float = 0.0,
    perspective: float = 0.0,
    blur: float = 0.0,
    noise: float = 0.0,
    module_px: int = 4,
) -> np.ndarray:
    """One BGR camera-like frame, with ``token``'s badge in it (or empty when None).

    ``perspective`` moves each card corner by up to that fraction of the card's size.
    """
    rng = np.random.default_rng(seed)
    frame = background(seed, size)
    if token is not None:
        width, height = size
        card = badge_card(token, module_px=module_px)
        where = center if center is not None else (width / 2, height / 2)
        _place(frame, card, where, scale=scale, rotate_deg=rotate_deg,
               perspective=perspective, rng=rng)
    return degrade(frame, blur=blur, noise=noise, rng=rng)


def make_qr_png(
    path: str | Path,
    token: str,
    *,
    blur: float = 0.0,
    noise: float = 0.0,
    scale: float = 1.0,
    rotate_deg: float = 0.0,
    perspective: float = 0.0,
    plain: bool = False,
    seed: int = 0,
) -> Path:
    """Write a PNG with ``token``'s QR: a camera-like 640x480 frame, or just the code when
    ``plain``."""
    path = Path(path)
    if plain:
        image = qr_image(token)
        if scale != 1.0:
            image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        image = degrade(image, blur=blur, noise=noise, rng=np.random.default_rng(seed))
    else:
        image = camera_frame(token, seed=seed, scale=scale, rotate_deg=rotate_deg,
                             perspective=perspective, blur=blur, noise=noise)
    if not cv2.imwrite(str(path), image):
        raise OSError(f"could not write {path}")
    return path


def badge_clip_frames(
    token: str | None,
    *,
    fps: float = 30.0,
    seconds: float = 3.0,
    lead_seconds: float = 0.0,
    enter_seconds: float = 0.5,
    blur: float = 0.0,
    noise: float = 0.0,
    scale: float = 1.0,
    size: tuple[int, int] = FRAME_SIZE,
    seed: int = 0,
) -> Iterator[np.ndarray]:
    """The frames of :func:`make_badge_clip` (BGR), without writing a file."""
    width, height = size
    rng = np.random.default_rng(seed)
    base = background(seed, size)
    card = badge_card(token) if token is not None else None
    total = round(seconds * fps)
    start_x, rest_x, rest_y = -width * 0.4, width / 2, height / 2
    for i in range(total):
        t = i / fps
        frame = base.copy()
        if card is not None and t >= lead_seconds:
            s = min(1.0, (t - lead_seconds) / enter_seconds) if enter_seconds > 0 else 1.0
            s = s * s * (3 - 2 * s)
            x = start_x + (rest_x - start_x) * s + 3 * math.sin(t * 3.1)
            y = rest_y + 2 * math.sin(t * 2.3)
            _place(frame, card, (x, y), scale=scale, rotate_deg=2 * math.sin(t * 1.7),
                   perspective=0.0, rng=rng)
        yield degrade(frame, blur=blur, noise=noise, rng=rng)


def _write_clip(
    path: Path, frames: Iterator[np.ndarray], fps: float, size: tuple[int, int]
) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    if not writer.isOpened():
        raise OSError(f"cannot write an MJPG clip to {path}")
    try:
        for frame in frames:
            writer.write(frame)
    finally:
        writer.release()
    return path


def make_badge_clip(
    path: str | Path,
    token: str,
    *,
    fps: float = 30.0,
    seconds: float = 3.0,
    lead_seconds: float = 0.0,
    enter_seconds: float = 0.5,
    blur: float = 0.0,
    noise: float = 0.0,
    scale: float = 1.0,
    size: tuple[int, int] = FRAME_SIZE,
    seed: int = 0,
) -> Path:
    """Write an MJPG AVI of ``seconds``: ``lead_seconds`` of empty view, then ``token``'s
    badge sliding in from the left over ``enter_seconds`` and held (with slight hand
    jitter) to the end. ``blur``/``noise``/``scale`` degrade it like a poor camera.
    The badge is fully in view from about ``lead_seconds + 0.6 * enter_seconds``.
    """
    frames = badge_clip_frames(
        token, fps=fps, seconds=seconds, lead_seconds=lead_seconds, enter_seconds=enter_seconds,
        blur=blur, noise=noise, scale=scale, size=size, seed=seed,
    )
    return _write_clip(Path(path), frames, fps, size)


def make_empty_clip(
    path: str | Path,
    *,
    fps: float = 30.0,
    seconds: float = 1.0,
    size: tuple[int, int] = FRAME_SIZE,
    seed: int = 0,
) -> Path:
    """Write an MJPG AVI of a view with no badge in it."""
    frames = badge_clip_frames(None, fps=fps, seconds=seconds, size=size, seed=seed, noise=3.0)
    return _write_clip(Path(path), frames, fps, size)
