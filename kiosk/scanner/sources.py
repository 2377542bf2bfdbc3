"""The frame source ``[camera] source`` in ``config.toml`` asks for.

One place knows every kind of source (:mod:`kiosk.scanner.frames`, the demo, the Pi
camera module); none of them knows this factory. picamera2 itself is imported only
when a Pi camera is opened.
"""

from __future__ import annotations

from bramka.config import CameraSettings
from kiosk.scanner.base import FrameSource
from kiosk.scanner.demo_source import DemoSource
from kiosk.scanner.frames import DeviceCamera, ImageFolderSource, VideoFileSource
from kiosk.scanner.picamera import Picamera2Source


def make_frame_source(settings: CameraSettings, tokens: list[str] | None = None) -> FrameSource:
    """Build the frame source ``[camera]`` asks for.

    - ``demo``: synthetic badges. Tokens come from the file ``path`` when set, else
      from ``tokens``, else the demo shows a "BRAMKA-DEMO" code.
    - ``device`` / ``url``: a real camera at ``width`` x ``height`` and ``fps``.
    - ``picamera``: the Raspberry Pi camera module through picamera2, camera number
      ``device``; picamera2 is imported only when the camera is opened.
    - ``video``: a replayed file, at the file's own frame rate unless ``fps`` is set
      explicitly in the configuration.
    - ``images``: a folder of images, each held for about one second.
    """
    source = settings.source
    if source == "demo":
        if settings.path is not None:
            return DemoSource(token_file=settings.path, fps=settings.fps)
        return DemoSource(tokens=tokens, fps=settings.fps)
    if source == "device":
        return DeviceCamera(
            settings.device, width=settings.width, height=settings.height, fps=settings.fps
        )
    if source == "picamera":
        return Picamera2Source(
            int(settings.device), width=settings.width, height=settings.height,
            fps=settings.fps, autofocus=settings.autofocus, focus_cm=settings.focus_cm,
        )
    if source == "url":
        return DeviceCamera(
            settings.url, width=settings.width, height=settings.height, fps=settings.fps
        )
    if settings.path is None:  # the settings validator already refuses this
        raise ValueError(f"camera source '{source}' needs a path")
    if source == "video":
        fps = settings.fps if "fps" in settings.model_fields_set else None
        return VideoFileSource(settings.path, fps=fps, loop=settings.loop)
    if source == "images":
        return ImageFolderSource(
            settings.path,
            fps=settings.fps,
            frames_per_image=max(1, round(settings.fps)),
            loop=settings.loop,
        )
    raise ValueError(f"unknown camera source {source!r}")
