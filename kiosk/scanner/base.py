"""Device interfaces of the scanner, and the pieces every frame source shares.

Code depends on these, never on a backend. :class:`FramePacer` paces a source like a
camera; :func:`read_token_file` reads a file of tokens (the demo shows them).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import numpy as np


class CameraUnavailable(Exception):
    """The camera cannot deliver frames (unplugged, stream ended, cannot open)."""

    code = "camera_unavailable"


class DecoderUnavailable(Exception):
    """The chosen decoder's library is missing on this machine."""

    code = "decoder_unavailable"


class FrameSource(ABC):
    """Something that yields camera frames: a camera, a video file, an image folder, the demo.

    ``read`` blocks until the next frame is due (real cameras and replays pace
    themselves) and returns a BGR or greyscale ``uint8`` array. It raises
    :class:`CameraUnavailable` when the source is gone; the scanning loop then
    closes it, shows "camera unavailable" and calls ``open`` again later.
    """

    name: str = "frames"

    @abstractmethod
    def open(self) -> None: ...

    @abstractmethod
    def read(self) -> np.ndarray: ...

    @abstractmethod
    def close(self) -> None: ...

    @property
    def frame_interval(self) -> float | None:
        """Seconds between two frames when the source knows its pace, else None.

        The scanning loop's stall watchdog never reports a stall shorter than a few
        of these, so a deliberately slow source is not mistaken for a dead one.
        """
        return None

    def __enter__(self) -> FrameSource:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


@dataclass(frozen=True, slots=True)
class DecodedCode:
    text: str


class Decoder(ABC):
    """Finds QR codes in a frame. Must be cheap on empty frames: most frames are empty."""

    name: str = "decoder"

    @abstractmethod
    def decode(self, frame: np.ndarray) -> list[DecodedCode]: ...


class FramePacer:
    """Sleeps until the next frame is due at ``fps``; never busy-waits, never bursts.

    The first call returns at once. A caller that falls more than one frame behind
    is resynchronised to "now" instead of being given a burst of frames to catch up.
    """

    def __init__(
        self,
        fps: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if fps <= 0:
            raise ValueError(f"fps must be positive, got {fps}")
        self.interval = 1.0 / fps
        self._clock = clock
        self._sleep = sleep
        self._due: float | None = None

    def reset(self) -> None:
        self._due = None

    def wait(self) -> None:
        now = self._clock()
        if self._due is None:
            self._due = now
        delay = self._due - now
        if delay > 0:
            self._sleep(delay)
        elif delay < -self.interval:
            self._due = now
        self._due += self.interval


def read_token_file(path: str | Path) -> list[str]:
    """Tokens from a text file: one per line; blank lines and ``#`` comments ignored."""
    tokens: list[str] = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        text = line.split("#", 1)[0].strip()
        if text:
            tokens.append(text)
    return tokens
