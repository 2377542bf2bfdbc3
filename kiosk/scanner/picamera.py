"""The Raspberry Pi camera module through picamera2 (libcamera), as a :class:`FrameSource`.

``[camera] source = "picamera"``. picamera2 comes from Raspberry Pi OS (``apt install
python3-picamera2``), not from PyPI, and is imported only when the camera is opened, so
this module loads anywhere. Bramka's virtual environment sees it when it was made with
``--system-site-packages`` (deploy/install-pi.sh does this with ``--camera picamera``).

This is the way for camera modules: OpenCV does not support the libcamera stack, and on a
Pi 5 ``/dev/video*`` are raw CSI nodes with no usable frames. The camera module through
libcamera's V4L2 compatibility layer (``libcamerify`` with ``source = "device"``) is
experimental; a USB webcam uses ``source = "device"`` (:class:`~kiosk.scanner.frames.
DeviceCamera`). See docs/raspberry-pi.md.

Autofocus (Camera Module 3): ``autofocus = "continuous"`` (the default) keeps refocusing
on what is held up; ``"fixed"`` holds the lens at ``focus_cm`` (libcamera's
``LensPosition`` is in dioptres: 100 / cm); ``"off"`` sets nothing. A camera without
autofocus (Camera Module 2, most others) advertises no ``AfMode`` and gets none.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import numpy as np

from kiosk.scanner.base import CameraUnavailable, FrameSource

log = logging.getLogger(__name__)

# libcamera's control values (controls.AfModeEnum, AfSpeedEnum), as numbers: libcamera's
# Python module is not needed to name them.
AF_MODE_MANUAL = 0
AF_MODE_CONTINUOUS = 2
AF_SPEED_FAST = 1

Autofocus = Literal["continuous", "fixed", "off"]


def focus_controls(autofocus: Autofocus, focus_cm: float,
                   supported: Any) -> dict[str, float | int]:
    """The libcamera controls for ``autofocus``, limited to those the camera advertises."""
    if autofocus == "off" or "AfMode" not in supported:
        return {}
    if autofocus == "continuous":
        wanted: dict[str, float | int] = {"AfMode": AF_MODE_CONTINUOUS,
                                          "AfSpeed": AF_SPEED_FAST}
    else:
        wanted = {"AfMode": AF_MODE_MANUAL, "LensPosition": round(100.0 / focus_cm, 3)}
    return {name: value for name, value in wanted.items() if name in supported}


MISSING = ("picamera2 is not installed: on Raspberry Pi OS run "
           "'sudo apt install python3-picamera2' and make Bramka's virtual environment with "
           "--system-site-packages (deploy/install-pi.sh --camera picamera), or use "
           "source = \"device\" with a USB webcam")


def _import_picamera2() -> Any:
    """The ``Picamera2`` class, or :class:`CameraUnavailable` naming the package to install."""
    try:
        from picamera2 import Picamera2  # type: ignore[import-not-found]
    except ImportError as exc:
        raise CameraUnavailable(f"{MISSING} ({exc})") from exc
    return Picamera2


class Picamera2Source(FrameSource):
    """Frames from a libcamera camera (the Pi camera module) through picamera2.

    ``camera`` is libcamera's camera number (0: the first, or only, camera). Frames are
    ``width`` x ``height`` BGR ``uint8`` arrays (picamera2's ``RGB888`` is B, G, R in
    memory, as OpenCV expects); the camera paces itself at ``fps``.
    """

    def __init__(self, camera: int = 0, *, width: int = 640, height: int = 480,
                 fps: float = 30.0, autofocus: Autofocus = "continuous",
                 focus_cm: float = 25.0) -> None:
        self.camera = camera
        self.width = width
        self.height = height
        self.fps = fps
        self.autofocus: Autofocus = autofocus
        self.focus_cm = focus_cm
        self.focus: dict[str, float | int] = {}  # what was set on the open camera
        self.name = f"pi camera {camera}"
        self._cam: Any = None

    @property
    def frame_interval(self) -> float | None:
        return 1.0 / self.fps if self.fps > 0 else None

    def open(self) -> None:
        self.close()
        picamera2 = _import_picamera2()
        cam: Any = None
        try:
            cam = picamera2(self.camera)
            focus = focus_controls(self.autofocus, self.focus_cm,
                                   getattr(cam, "camera_controls", {}) or {})
            config = cam.create_video_configuration(
                main={"size": (self.width, self.height), "format": "RGB888"},
                controls={"FrameRate": float(self.fps), **focus},
                buffer_count=2,  # what we decode is current, as DeviceCamera's BUFFERSIZE 1
            )
            cam.configure(config)
            cam.start()
        except CameraUnavailable:
            raise
        except Exception as exc:  # IndexError (no camera), RuntimeError (busy), ...
            if cam is not None:
                _close_quietly(cam)
            raise CameraUnavailable(f"cannot open {self.name}: {exc}") from exc
        self._cam = cam
        self.focus = focus
        log.info("opened %s at %dx%d, focus %s", self.name, self.width, self.height,
                 focus or "not set (no autofocus, or autofocus = \"off\")")

    def read(self) -> np.ndarray:
        if self._cam is None:
            raise CameraUnavailable(f"{self.name} is not open")
        try:
            frame = self._cam.capture_array("main")
        except Exception as exc:
            raise CameraUnavailable(f"reading from {self.name} failed: {exc}") from exc
        if frame is None or getattr(frame, "size", 0) == 0:
            raise CameraUnavailable(f"reading from {self.name} failed: no frame")
        frame = np.asarray(frame)
        if frame.ndim == 3 and frame.shape[2] == 4:  # XRGB8888 from some sensors: drop X
            frame = frame[:, :, :3]
        return np.ascontiguousarray(frame, dtype=np.uint8)

    def close(self) -> None:
        if self._cam is not None:
            cam, self._cam = self._cam, None
            _close_quietly(cam)


def _close_quietly(cam: Any) -> None:
    for step in ("stop", "close"):
        try:
            getattr(cam, step)()
        except Exception:  # closing a camera that is already gone
            log.debug("picamera2 %s failed", step, exc_info=True)
