"""A synthetic camera for demos and tests: badges slide into view, hold, and leave.

Each cycle shows one token's badge (a white card with its QR code and some fake
text) sliding in, held for about 2.5 s with a little hand jitter, sliding out, then
about 1.5 s of empty frames; then the next token. The animation is driven by the
frame index, so the same index always renders the same picture; ``read`` paces it
at ``fps`` (on ``clock`` and ``sleep``: tests give their own, and frames come in
virtual time).

Per frame the cost is a copy of a pre-made background and one ``warpAffine`` of
the pre-rendered badge into its bounding box.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import segno

from kiosk.scanner.base import CameraUnavailable, FramePacer, FrameSource, read_token_file

log = logging.getLogger(__name__)

DEMO_TEXT = "BRAMKA-DEMO"
QUIET_ZONE_MODULES = 4


@dataclass(frozen=True, slots=True)
class DemoTimeline:
    """Seconds of each phase of one badge's cycle."""

    enter: float = 0.6
    hold: float = 2.5
    leave: float = 0.6
    empty: float = 1.5

    @property
    def cycle(self) -> float:
        return self.enter + self.hold + self.leave + self.empty


def render_qr(text: str, module_px: int = 4) -> np.ndarray:
    """A greyscale QR code (error level M, 4-module quiet zone), ``module_px`` pixels a module."""
    qr = segno.make(text, error="m", micro=False, boost_error=False)
    modules = np.asarray(qr.matrix, dtype=np.uint8)
    image = np.where(modules > 0, 0, 255).astype(np.uint8)
    image = np.pad(image, QUIET_ZONE_MODULES, constant_values=255)
    return np.kron(image, np.ones((module_px, module_px), dtype=np.uint8))


def render_badge(text: str, *, module_px: int = 4, label: str = "") -> np.ndarray:
    """A BGR badge card: coloured header, fake name lines, the QR code below."""
    qr = render_qr(text, module_px)
    side = qr.shape[0]
    width = side + 40
    height = side + 150
    card = np.full((height, width, 3), 250, dtype=np.uint8)
    card[:34] = (150, 90, 30)  # header band (BGR)
    cv2.putText(card, "CONFERENCE 2025", (12, 23), cv2.FONT_HERSHEY_SIMPLEX, 0.55,
                (255, 255, 255), 1, cv2.LINE_AA)
    cv2.putText(card, label or "Attendee Name", (12, 66), cv2.FONT_HERSHEY_SIMPLEX, 0.7,
                (30, 30, 30), 2, cv2.LINE_AA)
    cv2.putText(card, "Institution of Example", (12, 92), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                (80, 80, 80), 1, cv2.LINE_AA)
    cv2.putText(card, "SPEAKER", (12, 114), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                (40, 40, 160), 1, cv2.LINE_AA)
    top = height - side - 12
    left = (width - side) // 2
    card[top:top + side, left:left + side] = qr[:, :, None]
    cv2.rectangle(card, (0, 0), (width - 1, height - 1), (180, 180, 180), 1)
    return card


def _make_backgrounds(width: int, height: int, count: int, seed: int) -> list[np.ndarray]:
    """A desk-like texture with a lighting gradient, and ``count`` noise variants of it."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (height // 16 + 1, width // 16 + 1), dtype=np.uint8)
    texture = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC).astype(np.float32)
    texture = cv2.GaussianBlur(texture, (0, 0), 6)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    light = 0.75 + 0.25 * np.cos((xs / width - 0.4) * math.pi) * np.cos((ys / height - 0.5) * 2)
    base = (60 + 0.35 * texture) * light
    tint = np.array([1.0, 0.93, 0.85], dtype=np.float32)  # a warm indoor cast (BGR)
    out = []
    for _ in range(count):
        noise = rng.normal(0.0, 5.0, (height, width, 1)).astype(np.float32)
        frame = (base[:, :, None] + noise) * tint
        out.append(np.clip(frame, 0, 255).astype(np.uint8))
    return out


class DemoSource(FrameSource):
    """Synthetic 640x480 camera frames of badges cycling through ``tokens``.

    Tokens come from ``tokens`` or from ``token_file`` (one per line, ``#`` comments
    ignored, read at ``open``). With neither, the badge carries "BRAMKA-DEMO".
    """

    name = "demo"

    def __init__(
        self,
        tokens: list[str] | None = None,
        *,
        token_file: str | Path | None = None,
        fps: float = 30.0,
        width: int = 640,
        height: int = 480,
        timeline: DemoTimeline | None = None,
        seed: int = 7,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if width < 320 or height < 240:
            raise ValueError("the demo needs frames of at least 320x240")
        self.fps = fps
        self.width = width
        self.height = height
        self.timeline = timeline or DemoTimeline()
        self._given_tokens = list(tokens) if tokens else []
        self._token_file = Path(token_file) if token_file is not None else None
        self._seed = seed
        self._clock = clock
        self._sleep = sleep
        self.tokens: list[str] = []
        self._backgrounds: list[np.ndarray] = []
        self._badge_text: str | None = None
        self._badge: np.ndarray | None = None
        self._pacer: FramePacer | None = None
        self._index = 0

    # -- FrameSource -------------------------------------------------------------------------

    def open(self) -> None:
        tokens = self._given_tokens
        if self._token_file is not None:
            try:
                tokens = read_token_file(self._token_file)
            except (OSError, UnicodeDecodeError) as exc:
                raise CameraUnavailable(f"demo token file {self._token_file}: {exc}") from exc
            if not tokens:
                log.warning("demo token file %s holds no tokens", self._token_file)
        self.tokens = tokens or [DEMO_TEXT]
        if not self._backgrounds:
            self._backgrounds = _make_backgrounds(self.width, self.height, 6, self._seed)
        self._pacer = FramePacer(self.fps, clock=self._clock, sleep=self._sleep)
        self._index = 0

    def read(self) -> np.ndarray:
        if self._pacer is None:
            raise CameraUnavailable("demo source is not open")
        frame = self.render(self._index)
        self._index += 1
        self._pacer.wait()
        return frame

    def close(self) -> None:
        self._pacer = None

    @property
    def frame_interval(self) -> float | None:
        return 1.0 / self.fps if self.fps > 0 else None

    # -- rendering ---------------------------------------------------------------------------

    def _phase(self, index: int) -> tuple[int, float]:
        """(which cycle, seconds into it) of frame ``index``."""
        t = index / self.fps
        cycle = int(t // self.timeline.cycle)
        return cycle, t - cycle * self.timeline.cycle

    def token_at(self, index: int) -> str | None:
        """The token whose badge is held in full view at frame ``index``, else None."""
        if not self.tokens:
            raise CameraUnavailable("demo source is not open")
        cycle, t = self._phase(index)
        tl = self.timeline
        if tl.enter <= t < tl.enter + tl.hold:
            return self.tokens[cycle % len(self.tokens)]
        return None

    def _badge_for(self, text: str, number: int) -> np.ndarray:
        if text != self._badge_text or self._badge is None:
            label = "Demo Badge" if text == DEMO_TEXT else f"Attendee {number}"
            self._badge = render_badge(text, label=label)
            self._badge_text = text
        return self._badge

    def _pose(self, cycle: int, t: float) -> tuple[float, float, float] | None:
        """Badge centre (x, y) and rotation in degrees at time ``t`` of a cycle, or None."""
        tl = self.timeline
        cx, cy = self.width * 0.5, self.height * 0.52
        start_x = -self.width * 0.45  # off the left edge
        end_x = self.width * 1.45  # off the right edge
        wobble = math.sin(t * 2.1 + cycle) * 1.5
        if t < tl.enter:
            s = t / tl.enter
            s = s * s * (3 - 2 * s)
            return start_x + (cx - start_x) * s, cy + 20 * (1 - s), wobble * 3
        t -= tl.enter
        if t < tl.hold:
            dx = 4.0 * math.sin(t * 3.3 + cycle)
            dy = 3.0 * math.sin(t * 2.7 + 1.7 * cycle)
            return cx + dx, cy + dy, wobble
        t -= tl.hold
        if t < tl.leave:
            s = t / tl.leave
            s = s * s
            return cx + (end_x - cx) * s, cy - 15 * s, wobble * 3
        return None

    def render(self, index: int) -> np.ndarray:
        """The frame at ``index`` (a new BGR array), without pacing."""
        if not self.tokens or not self._backgrounds:
            raise CameraUnavailable("demo source is not open")
        frame = self._backgrounds[index % len(self._backgrounds)].copy()
        cycle, t = self._phase(index)
        pose = self._pose(cycle, t)
        if pose is not None:
            number = cycle % len(self.tokens)
            badge = self._badge_for(self.tokens[number], number + 1)
            self._paste(frame, badge, *pose)
        return frame

    def _paste(self, frame: np.ndarray, badge: np.ndarray, x: float, y: float, deg: float) -> None:
        bh, bw = badge.shape[:2]
        matrix = cv2.getRotationMatrix2D((bw / 2, bh / 2), deg, 1.0)
        matrix[0, 2] += x - bw / 2
        matrix[1, 2] += y - bh / 2
        corners = np.array([[0, 0, 1], [bw, 0, 1], [0, bh, 1], [bw, bh, 1]], dtype=np.float64)
        placed = corners @ matrix.T
        x0 = max(0, int(math.floor(placed[:, 0].min())))
        y0 = max(0, int(math.floor(placed[:, 1].min())))
        x1 = min(self.width, int(math.ceil(placed[:, 0].max())) + 1)
        y1 = min(self.height, int(math.ceil(placed[:, 1].max())) + 1)
        if x1 <= x0 or y1 <= y0:
            return
        matrix[0, 2] -= x0
        matrix[1, 2] -= y0
        roi = np.ascontiguousarray(frame[y0:y1, x0:x1])
        cv2.warpAffine(
            badge,
            matrix,
            (x1 - x0, y1 - y0),
            dst=roi,
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_TRANSPARENT,
        )
        frame[y0:y1, x0:x1] = roi
