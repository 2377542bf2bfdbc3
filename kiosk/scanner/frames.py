"""Frame sources: a real camera, a replayed video file, a folder of images.

Which one a kiosk uses is chosen by ``[camera] source`` in ``config.toml``
(see :func:`kiosk.scanner.sources.make_frame_source`). Replays pace themselves like a
camera (:class:`~kiosk.scanner.base.FramePacer`): ``read`` sleeps until the next frame
is due, measured on ``time.monotonic`` (tests hand the replays a ``clock`` and a
``sleep`` of their own: frames then come in virtual time).

A frame returned by ``read`` belongs to the caller: a source never writes into it
again (the scanning loop keeps the latest one for the live preview).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import cv2
import numpy as np

from kiosk.scanner.base import CameraUnavailable, FramePacer, FrameSource

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm", ".pbm"}
)
STREAM_ENDED = "stream ended"
# URL schemes of network streams: only these get the open/read timeouts below.
STREAM_SCHEMES = frozenset({"http", "https", "rtsp", "rtsps", "rtmp", "rtmps", "rtp", "udp",
                            "tcp", "srt", "mmsh", "mmst"})
STREAM_OPEN_TIMEOUT = 10.0  # seconds to connect to a URL stream before giving up
STREAM_READ_TIMEOUT = 5.0  # seconds a URL stream may go without delivering a frame


def redact_url(url: str) -> str:
    """The URL without its password, for logs and on-screen messages."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable url>"
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    netloc = f"{parts.username}:***@{host}" if parts.username else host
    return urlunsplit(parts._replace(netloc=netloc))


def is_stream_url(device: int | str) -> bool:
    """True for a network stream URL (``rtsp://...``, ``http://...``), not a path or index."""
    if not isinstance(device, str):
        return False
    try:
        scheme = urlsplit(device.strip()).scheme
    except ValueError:
        return False
    return scheme.lower() in STREAM_SCHEMES


def stream_timeout_params(open_timeout: float, read_timeout: float) -> list[int]:
    """``VideoCapture`` open parameters bounding how long a stream may block; [] if unsupported.

    OpenCV's FFmpeg backend honours both (an interrupt callback aborts a connect or
    read that takes longer, and ``read`` then returns False). Without them it waits
    30 s, and older builds wait for ever. A parameter this OpenCV does not know is
    left out: an unknown one would make ``open`` refuse the stream.
    """
    params: list[int] = []
    for name, seconds in (
        ("CAP_PROP_OPEN_TIMEOUT_MSEC", open_timeout),
        ("CAP_PROP_READ_TIMEOUT_MSEC", read_timeout),
    ):
        if seconds > 0 and hasattr(cv2, name):
            params += [int(getattr(cv2, name)), max(1, round(seconds * 1000))]
    return params


def _ffmpeg_available() -> bool:
    registry = getattr(cv2, "videoio_registry", None)
    if registry is None or not hasattr(cv2, "CAP_FFMPEG"):
        return False
    try:
        return bool(registry.hasBackend(cv2.CAP_FFMPEG))
    except cv2.error:
        return False


class DeviceCamera(FrameSource):
    """A camera through ``cv2.VideoCapture``: a device index (``/dev/videoN``) or a stream URL.

    The camera paces itself; ``read`` blocks until the driver has a frame. A network
    stream URL is opened with OpenCV's FFmpeg backend and bounded by ``open_timeout``
    and ``read_timeout`` (seconds; 0 leaves OpenCV's default), so a dead or hung
    stream makes ``open`` or ``read`` fail instead of blocking for ever. When this
    OpenCV has no FFmpeg backend or knows neither timeout, the URL is opened as
    before, without them.
    """

    def __init__(
        self,
        device: int | str,
        *,
        width: int = 640,
        height: int = 480,
        fps: float = 30.0,
        open_timeout: float = STREAM_OPEN_TIMEOUT,
        read_timeout: float = STREAM_READ_TIMEOUT,
    ) -> None:
        self.device = device
        self.width = width
        self.height = height
        self.fps = fps
        self.open_timeout = open_timeout
        self.read_timeout = read_timeout
        self.name = f"camera {device}" if isinstance(device, int) else redact_url(device)
        self._cap: Any = None

    @property
    def frame_interval(self) -> float | None:
        return 1.0 / self.fps if self.fps > 0 else None

    def _capture(self) -> Any:
        if is_stream_url(self.device) and _ffmpeg_available():
            params = stream_timeout_params(self.open_timeout, self.read_timeout)
            if params:
                return cv2.VideoCapture(self.device, cv2.CAP_FFMPEG, params)
        if isinstance(self.device, str) and self.device.startswith("/dev/"):
            # /dev/v4l/by-id/... (a symlink to /dev/videoN): V4L2 by path, not a file.
            return cv2.VideoCapture(os.path.realpath(self.device), cv2.CAP_V4L2)
        return cv2.VideoCapture(self.device)

    def open(self) -> None:
        self.close()
        cap = self._capture()
        if not cap.isOpened():
            cap.release()
            raise CameraUnavailable(f"cannot open {self.name}")
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        cap.set(cv2.CAP_PROP_FPS, self.fps)
        # Keep at most one frame queued in the driver so what we decode is current.
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        self._cap = cap
        log.info(
            "opened %s at %dx%d",
            self.name,
            int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
        )

    def read(self) -> np.ndarray:
        if self._cap is None:
            raise CameraUnavailable(f"{self.name} is not open")
        ok, frame = self._cap.read()
        if not ok or frame is None:
            raise CameraUnavailable(f"reading from {self.name} failed")
        return frame

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


class VideoFileSource(FrameSource):
    """Replays a video file as if it were a camera.

    Paced at ``fps`` when given, else at the file's own frame rate (30 when the
    file does not say). At the end it starts again when ``loop`` is set, otherwise
    ``read`` raises ``CameraUnavailable("stream ended")``.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        fps: float | None = None,
        loop: bool = False,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.path = Path(path)
        self.fps = fps
        self.loop = loop
        self.name = f"video {self.path.name}"
        self._clock = clock
        self._sleep = sleep
        self._cap: Any = None
        self._pacer: FramePacer | None = None
        self._ended = False

    def open(self) -> None:
        self.close()
        if not self.path.is_file():
            raise CameraUnavailable(f"video file not found: {self.path}")
        cap = cv2.VideoCapture(str(self.path))
        if not cap.isOpened():
            cap.release()
            raise CameraUnavailable(f"cannot open video {self.path}")
        file_fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        fps = self.fps or (file_fps if 0 < file_fps <= 240 else 30.0)
        self._cap = cap
        self._pacer = FramePacer(fps, clock=self._clock, sleep=self._sleep)
        self._ended = False
        log.info("replaying %s at %.1f fps%s", self.path, fps, " (loop)" if self.loop else "")

    @property
    def pace_fps(self) -> float | None:
        """The rate frames are delivered at, once open."""
        return None if self._pacer is None else 1.0 / self._pacer.interval

    @property
    def frame_interval(self) -> float | None:
        return None if self._pacer is None else self._pacer.interval

    def read(self) -> np.ndarray:
        if self._cap is None or self._pacer is None:
            raise CameraUnavailable(f"{self.name} is not open")
        if self._ended:
            raise CameraUnavailable(STREAM_ENDED)
        ok, frame = self._cap.read()
        if not ok and self.loop:
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = self._cap.read()
            if not ok:
                self._ended = True
                raise CameraUnavailable(f"{self.name} has no readable frames")
        if not ok or frame is None:
            self._ended = True
            raise CameraUnavailable(STREAM_ENDED)
        self._pacer.wait()
        return frame

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
        self._pacer = None


def list_images(path: Path) -> list[Path]:
    """Image files in ``path`` (or ``path`` itself when it is one image), sorted by name."""
    if path.is_file():
        return [path]
    return sorted(
        p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
    )


class ImageFolderSource(FrameSource):
    """Each image file of a folder, in sorted order, as camera frames.

    Every image is shown for ``frames_per_image`` frames at ``fps``. An image that
    cannot be read is skipped with a logged warning. At the end the folder starts
    again when ``loop`` is set, otherwise ``read`` raises
    ``CameraUnavailable("stream ended")``.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        fps: float = 30.0,
        frames_per_image: int = 1,
        loop: bool = False,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if frames_per_image < 1:
            raise ValueError(f"frames_per_image must be at least 1, got {frames_per_image}")
        self.path = Path(path)
        self.fps = fps
        self.frames_per_image = frames_per_image
        self.loop = loop
        self.name = f"images {self.path.name}"
        self._clock = clock
        self._sleep = sleep
        self._files: list[Path] = []
        self._pacer: FramePacer | None = None
        self._next_file = 0
        self._current: np.ndarray | None = None
        self._shown = 0
        self._decoded_in_pass = 0

    def open(self) -> None:
        self.close()
        if not self.path.exists():
            raise CameraUnavailable(f"image folder not found: {self.path}")
        try:
            files = list_images(self.path)
        except OSError as exc:
            raise CameraUnavailable(f"cannot list {self.path}: {exc}") from exc
        if not files:
            raise CameraUnavailable(f"no image files in {self.path}")
        self._files = files
        self._pacer = FramePacer(self.fps, clock=self._clock, sleep=self._sleep)
        self._next_file = 0
        self._current = None
        self._shown = 0
        self._decoded_in_pass = 0

    def _load_next(self) -> np.ndarray:
        """The next readable image, wrapping around when looping."""
        while True:
            if self._next_file >= len(self._files):
                if not self.loop:
                    raise CameraUnavailable(STREAM_ENDED)
                if self._decoded_in_pass == 0:
                    raise CameraUnavailable(f"no readable image in {self.path}")
                self._next_file = 0
                self._decoded_in_pass = 0
            file = self._files[self._next_file]
            self._next_file += 1
            image = cv2.imread(str(file), cv2.IMREAD_UNCHANGED)
            if image is None or image.dtype != np.uint8 or image.ndim not in (2, 3):
                log.warning("skipping unreadable image %s", file)
                continue
            if image.ndim == 3 and image.shape[2] == 4:
                image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
            self._decoded_in_pass += 1
            image.setflags(write=False)
            return image

    def read(self) -> np.ndarray:
        if self._pacer is None:
            raise CameraUnavailable(f"{self.name} is not open")
        if self._current is None or self._shown >= self.frames_per_image:
            try:
                self._current = self._load_next()
            except CameraUnavailable:
                self._current = None
                raise
            self._shown = 0
        self._shown += 1
        self._pacer.wait()
        return self._current

    def close(self) -> None:
        self._pacer = None
        self._current = None

    @property
    def frame_interval(self) -> float | None:
        return 1.0 / self.fps if self.fps > 0 else None
