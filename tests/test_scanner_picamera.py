"""The Pi camera module source (picamera2), without a Pi: a missing library, the factory
branch, and the FrameSource contract against a stand-in ``picamera2`` module."""

from __future__ import annotations

import sys
import types
from typing import Any

import numpy as np
import pytest

from bramka.config import CameraSettings, load_settings
from kiosk.scanner.base import CameraUnavailable, FrameSource
from kiosk.scanner.frames import make_frame_source
from kiosk.scanner.picamera import Picamera2Source


@pytest.fixture
def no_picamera2(monkeypatch: pytest.MonkeyPatch) -> None:
    """``import picamera2`` fails, as on any machine without python3-picamera2."""
    monkeypatch.setitem(sys.modules, "picamera2", None)


class FakePicamera2:
    """Records what Bramka asks of picamera2; ``fail`` makes one step raise."""

    instances: list[FakePicamera2] = []
    fail: dict[str, Exception] = {}
    channels = 3

    def __init__(self, camera_num: int = 0) -> None:
        if "init" in self.fail:
            raise self.fail["init"]
        self.camera_num = camera_num
        self.calls: list[str] = []
        self.config: dict[str, Any] = {}
        FakePicamera2.instances.append(self)

    def create_video_configuration(self, **kw: Any) -> dict[str, Any]:
        return kw

    def configure(self, config: dict[str, Any]) -> None:
        self.config = config
        self.calls.append("configure")

    def start(self) -> None:
        if "start" in self.fail:
            raise self.fail["start"]
        self.calls.append("start")

    def capture_array(self, name: str = "main") -> np.ndarray:
        if "capture" in self.fail:
            raise self.fail["capture"]
        width, height = self.config["main"]["size"]
        return np.full((height, width, self.channels), 7, dtype=np.uint8)

    def stop(self) -> None:
        self.calls.append("stop")

    def close(self) -> None:
        self.calls.append("close")


@pytest.fixture
def fake_picamera2(monkeypatch: pytest.MonkeyPatch) -> type[FakePicamera2]:
    module = types.ModuleType("picamera2")
    module.Picamera2 = FakePicamera2  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "picamera2", module)
    monkeypatch.setattr(FakePicamera2, "instances", [])
    monkeypatch.setattr(FakePicamera2, "fail", {})
    monkeypatch.setattr(FakePicamera2, "channels", 3)
    return FakePicamera2


def test_missing_picamera2_is_camera_unavailable_naming_the_package(no_picamera2: None) -> None:
    source = Picamera2Source(0)  # constructing never imports picamera2
    with pytest.raises(CameraUnavailable) as err:
        source.open()
    assert "python3-picamera2" in str(err.value)
    assert "--system-site-packages" in str(err.value)
    assert err.value.code == "camera_unavailable"
    with pytest.raises(CameraUnavailable, match="not open"):
        source.read()
    source.close()  # harmless when never opened


def test_settings_and_factory_build_the_picamera_source(no_picamera2: None) -> None:
    settings = load_settings(None, {"BRAMKA_CAMERA__SOURCE": "picamera",
                                    "BRAMKA_CAMERA__DEVICE": "1",
                                    "BRAMKA_CAMERA__WIDTH": "800",
                                    "BRAMKA_CAMERA__HEIGHT": "600",
                                    "BRAMKA_CAMERA__FPS": "15"})
    source = make_frame_source(settings.camera)
    assert isinstance(source, Picamera2Source) and isinstance(source, FrameSource)
    assert (source.camera, source.width, source.height, source.fps) == (1, 800, 600, 15.0)
    assert source.name == "pi camera 1"
    assert source.frame_interval == pytest.approx(1 / 15)
    assert sys.modules["picamera2"] is None  # the factory did not try to import it


def test_defaults_of_the_picamera_source() -> None:
    source = make_frame_source(CameraSettings(source="picamera"))
    assert isinstance(source, Picamera2Source)
    assert (source.camera, source.width, source.height, source.fps) == (0, 640, 480, 30.0)


def test_opens_reads_bgr_frames_and_closes(fake_picamera2: type[FakePicamera2]) -> None:
    with Picamera2Source(0, width=640, height=480, fps=20) as source:
        cam = fake_picamera2.instances[0]
        assert cam.calls == ["configure", "start"]
        assert cam.config["main"] == {"size": (640, 480), "format": "RGB888"}
        assert cam.config["controls"] == {"FrameRate": 20.0}
        frame = source.read()
        assert frame.shape == (480, 640, 3) and frame.dtype == np.uint8
    assert cam.calls[-2:] == ["stop", "close"]
    with pytest.raises(CameraUnavailable):
        source.read()


def test_four_channel_frames_lose_the_padding(fake_picamera2: type[FakePicamera2]) -> None:
    fake_picamera2.channels = 4
    with Picamera2Source(0, width=320, height=240) as source:
        frame = source.read()
    assert frame.shape == (240, 320, 3) and frame.flags.c_contiguous


@pytest.mark.parametrize("step, error", [
    ("init", IndexError("list index out of range")),  # no camera connected
    ("start", RuntimeError("Failed to acquire camera: Device or resource busy")),
])
def test_a_camera_that_cannot_open_is_unavailable(
    fake_picamera2: type[FakePicamera2], step: str, error: Exception
) -> None:
    fake_picamera2.fail = {step: error}
    source = Picamera2Source(0)
    with pytest.raises(CameraUnavailable, match="cannot open pi camera 0") as err:
        source.open()
    assert str(error) in str(err.value)
    if step == "start":  # the half-opened camera was let go
        assert fake_picamera2.instances[0].calls[-2:] == ["stop", "close"]


def test_a_failed_read_is_unavailable_and_reopen_works(
    fake_picamera2: type[FakePicamera2]
) -> None:
    source = Picamera2Source(0)
    source.open()
    fake_picamera2.fail = {"capture": RuntimeError("camera unplugged")}
    with pytest.raises(CameraUnavailable, match="camera unplugged"):
        source.read()
    source.close()  # what the scanning loop does, then it opens again later
    fake_picamera2.fail = {}
    source.open()
    assert source.read().shape == (480, 640, 3)
    source.close()
    assert len(fake_picamera2.instances) == 2
