"""The Pi camera module source (picamera2), without a Pi: a missing library, the factory
branch, and the FrameSource contract against a stand-in ``picamera2`` module."""

from __future__ import annotations

import sys
import types
from typing import Any

import numpy as np
import pytest

from bramka.config import CameraSettings, ConfigError, load_settings
from kiosk.scanner.base import CameraUnavailable, FrameSource
from kiosk.scanner.frames import DeviceCamera
from kiosk.scanner.picamera import Picamera2Source
from kiosk.scanner.sources import make_frame_source


@pytest.fixture
def no_picamera2(monkeypatch: pytest.MonkeyPatch) -> None:
    """``import picamera2`` fails, as on any machine without python3-picamera2."""
    monkeypatch.setitem(sys.modules, "picamera2", None)


class FakePicamera2:
    """Records what Bramka asks of picamera2; ``fail`` makes one step raise."""

    instances: list[FakePicamera2] = []
    fail: dict[str, Exception] = {}
    channels = 3
    # What libcamera advertises, (min, max, default) as picamera2 has it: a Camera Module 3
    # (imx708) has the autofocus controls; a Camera Module 2 (imx219) has none of them.
    camera_controls: dict[str, tuple[Any, Any, Any]] = {}

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
    monkeypatch.setattr(FakePicamera2, "camera_controls", dict(CAMERA_MODULE_2))
    return FakePicamera2


CAMERA_MODULE_2 = {"FrameRate": (1.0, 206.0, None), "ExposureTime": (75, 11766829, None)}
CAMERA_MODULE_3 = {**CAMERA_MODULE_2, "AfMode": (0, 2, 0), "AfSpeed": (0, 1, 0),
                   "AfRange": (0, 2, 0), "LensPosition": (0.0, 15.0, 1.0)}


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


@pytest.mark.parametrize("autofocus, focus_cm, expected", [
    ("continuous", 25.0, {"AfMode": 2, "AfSpeed": 1}),  # libcamera's Continuous, Fast
    ("fixed", 25.0, {"AfMode": 0, "LensPosition": 4.0}),  # Manual at 1 / 0.25 m
    ("fixed", 20.0, {"AfMode": 0, "LensPosition": 5.0}),
    ("off", 25.0, {}),
])
def test_camera_module_3_autofocus_is_set(
    fake_picamera2: type[FakePicamera2], autofocus: str, focus_cm: float,
    expected: dict[str, float]
) -> None:
    fake_picamera2.camera_controls = dict(CAMERA_MODULE_3)
    with Picamera2Source(0, fps=20, autofocus=autofocus,  # type: ignore[arg-type]
                         focus_cm=focus_cm) as source:
        cam = fake_picamera2.instances[0]
        assert cam.config["controls"] == {"FrameRate": 20.0, **expected}
        assert source.focus == expected


def test_a_camera_without_autofocus_gets_no_focus_controls(
    fake_picamera2: type[FakePicamera2]
) -> None:
    """picamera2 refuses a control libcamera does not advertise: none is sent to a CM2."""
    for autofocus in ("continuous", "fixed"):
        with Picamera2Source(0, autofocus=autofocus) as source:  # type: ignore[arg-type]
            assert fake_picamera2.instances[-1].config["controls"] == {"FrameRate": 30.0}
            assert source.focus == {}


def test_autofocus_settings_reach_the_source(no_picamera2: None) -> None:
    default = make_frame_source(CameraSettings(source="picamera"))
    assert isinstance(default, Picamera2Source)
    assert (default.autofocus, default.focus_cm) == ("continuous", 25.0)
    settings = load_settings(None, {"BRAMKA_CAMERA__SOURCE": "picamera",
                                    "BRAMKA_CAMERA__AUTOFOCUS": "fixed",
                                    "BRAMKA_CAMERA__FOCUS_CM": "30"})
    source = make_frame_source(settings.camera)
    assert isinstance(source, Picamera2Source)
    assert (source.autofocus, source.focus_cm) == ("fixed", 30.0)
    with pytest.raises(ConfigError):
        load_settings(None, {"BRAMKA_CAMERA__AUTOFOCUS": "sometimes"})
    with pytest.raises(ConfigError):
        load_settings(None, {"BRAMKA_CAMERA__FOCUS_CM": "1"})  # closer than any lens


def test_camera_device_by_id_path(no_picamera2: None) -> None:
    """A USB webcam by its stable path; a camera module only by its number."""
    by_id = "/dev/v4l/by-id/usb-046d_C270_HD_WEBCAM_2C1B6A10-video-index0"
    settings = load_settings(None, {"BRAMKA_CAMERA__SOURCE": "device",
                                    "BRAMKA_CAMERA__DEVICE": by_id})
    assert settings.camera.device == by_id
    source = make_frame_source(settings.camera)
    assert isinstance(source, DeviceCamera) and source.device == by_id
    assert load_settings(None, {"BRAMKA_CAMERA__DEVICE": "2"}).camera.device == 2
    for bad in ("video0", "-1", "C:/cam"):
        with pytest.raises(ConfigError, match="device"):
            load_settings(None, {"BRAMKA_CAMERA__SOURCE": "device",
                                 "BRAMKA_CAMERA__DEVICE": bad})
    with pytest.raises(ConfigError, match="camera number"):
        load_settings(None, {"BRAMKA_CAMERA__SOURCE": "picamera",
                             "BRAMKA_CAMERA__DEVICE": "/dev/video0"})


def test_a_by_id_path_opens_the_v4l2_node_it_points_to(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OpenCV gets the /dev/videoN the stable path points to now, through V4L2."""
    import cv2

    from kiosk.scanner import frames

    node = tmp_path / "video3"
    node.touch()
    opened: list[tuple[Any, ...]] = []

    def fake_capture(*args: Any) -> Any:
        opened.append(args)
        raise RuntimeError("stop here")

    monkeypatch.setattr(frames.cv2, "VideoCapture", fake_capture)
    camera = DeviceCamera("/dev/v4l/by-id/x")
    monkeypatch.setattr(frames.os.path, "realpath", lambda p: str(node) if p.endswith("/x") else p)
    with pytest.raises(RuntimeError):
        camera._capture()
    assert opened == [(str(node), cv2.CAP_V4L2)]
