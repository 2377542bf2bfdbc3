"""Device interfaces of the scanner. Code depends on these, never on a backend."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
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
