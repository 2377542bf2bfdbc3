"""Frame sources: replay pacing, end of stream, image folders, the config factory."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from scanner_clips import example_token, make_badge_clip, make_empty_clip
from support import FakeClock

from bramka.config import CameraSettings
from kiosk.scanner.base import CameraUnavailable, FramePacer, read_token_file
from kiosk.scanner.demo_source import DemoSource
from kiosk.scanner.frames import (
    STREAM_ENDED,
    DeviceCamera,
    ImageFolderSource,
    VideoFileSource,
    redact_url,
)
from kiosk.scanner.sources import make_frame_source


@pytest.fixture(scope="module")
def clip_20fps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 12-frame clip recorded at 20 fps."""
    path = tmp_path_factory.mktemp("clips") / "short.avi"
    return make_empty_clip(path, fps=20, seconds=0.6, size=(320, 240))


def read_all(source, limit: int = 1000) -> list[np.ndarray]:
    frames = []
    with pytest.raises(CameraUnavailable, match=STREAM_ENDED):
        for _ in range(limit):
            frames.append(source.read())
    return frames


# -- pacing -----------------------------------------------------------------------------------


def test_pacer_sleeps_to_each_due_time_and_never_spins() -> None:
    clock = FakeClock()
    pacer = FramePacer(10, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        pacer.wait()
        clock.now += 0.02  # the caller's own work per frame
    assert clock.sleeps[0] == pytest.approx(0.08)
    assert clock.sleeps == pytest.approx([0.08] * 4)


def test_pacer_resynchronises_instead_of_bursting() -> None:
    clock = FakeClock()
    pacer = FramePacer(10, clock=clock, sleep=clock.sleep)
    pacer.wait()
    clock.now += 1.0  # ten frames late
    pacer.wait()
    pacer.wait()
    assert clock.sleeps == pytest.approx([0.1])


def test_pacer_refuses_zero_fps() -> None:
    with pytest.raises(ValueError):
        FramePacer(0)


# -- video files ------------------------------------------------------------------------------


def test_video_replays_at_the_files_frame_rate_then_ends(clip_20fps: Path) -> None:
    clock = FakeClock()
    source = VideoFileSource(clip_20fps, clock=clock, sleep=clock.sleep)
    source.open()
    try:
        assert source.pace_fps == pytest.approx(20)
        frames = read_all(source)
        with pytest.raises(CameraUnavailable, match=STREAM_ENDED):
            source.read()  # stays ended
    finally:
        source.close()
    assert len(frames) == 12
    assert frames[0].shape == (240, 320, 3)
    assert clock.sleeps == pytest.approx([0.05] * 11)  # 11 frame intervals of 50 ms


def test_video_paced_at_a_configured_rate(clip_20fps: Path) -> None:
    clock = FakeClock()
    with VideoFileSource(clip_20fps, fps=60, clock=clock, sleep=clock.sleep) as source:
        frames = read_all(source)
    assert len(frames) == 12
    assert clock.sleeps == pytest.approx([1 / 60] * 11)  # 11 intervals of 16.7 ms


def test_video_replay_sleeps_on_the_real_clock_by_default(clip_20fps: Path) -> None:
    with VideoFileSource(clip_20fps, fps=50) as source:
        start = time.monotonic()
        read_all(source)
        elapsed = time.monotonic() - start
    assert elapsed >= 0.2  # 11 intervals of 20 ms at least; a busy machine only adds


def test_video_loop_starts_again(clip_20fps: Path) -> None:
    with VideoFileSource(clip_20fps, fps=120, loop=True) as source:
        frames = [source.read() for _ in range(30)]
    assert len(frames) == 30
    assert np.array_equal(frames[0], frames[12])


def test_missing_or_broken_video_is_camera_unavailable(tmp_path: Path) -> None:
    with pytest.raises(CameraUnavailable, match="not found"):
        VideoFileSource(tmp_path / "nope.avi").open()
    junk = tmp_path / "junk.avi"
    junk.write_bytes(b"this is not a video")
    with pytest.raises(CameraUnavailable):
        with VideoFileSource(junk) as source:
            source.read()
    with pytest.raises(CameraUnavailable, match="not open"):
        VideoFileSource(tmp_path / "nope.avi").read()


# -- device cameras ---------------------------------------------------------------------------


def test_device_camera_that_cannot_open_is_unavailable() -> None:
    camera = DeviceCamera(63)
    with pytest.raises(CameraUnavailable, match="camera 63"):
        camera.open()
    with pytest.raises(CameraUnavailable):
        camera.read()


def test_device_camera_reads_a_stream_until_it_fails(tmp_path: Path) -> None:
    # A file path stands in for a stream URL: VideoCapture treats both alike.
    clip = make_badge_clip(tmp_path / "stream.avi", example_token(), seconds=0.2, size=(320, 240))
    camera = DeviceCamera(str(clip))
    camera.open()
    try:
        frames = []
        with pytest.raises(CameraUnavailable, match="failed"):
            for _ in range(100):
                frames.append(camera.read())
    finally:
        camera.close()
    assert len(frames) == 6


def test_url_password_is_redacted_in_names() -> None:
    camera = DeviceCamera("rtsp://admin:secret@192.0.2.5:554/stream")
    assert "secret" not in camera.name
    assert camera.name == "rtsp://admin:***@192.0.2.5:554/stream"
    assert redact_url("http://cam.local/mjpg") == "http://cam.local/mjpg"


# -- image folders ----------------------------------------------------------------------------


def write_shade(path: Path, value: int) -> None:
    assert cv2.imwrite(str(path), np.full((24, 32, 3), value, np.uint8))


def shades(frames: list[np.ndarray]) -> list[int]:
    return [int(frame[0, 0, 0]) for frame in frames]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write_shade(tmp_path / "b_20.png", 20)
    write_shade(tmp_path / "c_30.jpg", 30)
    write_shade(tmp_path / "a_10.png", 10)
    (tmp_path / "notes.txt").write_text("not an image")
    return tmp_path


def test_image_folder_in_sorted_order_then_ends(folder: Path) -> None:
    with ImageFolderSource(folder, fps=200) as source:
        frames = read_all(source)
    assert shades(frames)[:2] == [10, 20]
    assert abs(shades(frames)[2] - 30) <= 2  # JPEG
    assert len(frames) == 3


def test_image_folder_holds_each_image_and_loops(folder: Path) -> None:
    with ImageFolderSource(folder, fps=200, frames_per_image=2, loop=True) as source:
        got = [round(v, -1) for v in shades([source.read() for _ in range(8)])]
    assert got == [10, 10, 20, 20, 30, 30, 10, 10]


def test_image_folder_is_paced(folder: Path) -> None:
    clock = FakeClock()
    with ImageFolderSource(folder, fps=20, frames_per_image=2, clock=clock,
                           sleep=clock.sleep) as source:
        assert len(read_all(source)) == 6
    assert clock.sleeps == pytest.approx([0.05] * 5)  # 5 intervals of 50 ms


def test_unreadable_image_is_skipped_with_a_warning(
    folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (folder / "b_15.png").write_bytes(b"\x89PNG broken")
    with caplog.at_level(logging.WARNING, logger="kiosk.scanner.frames"):
        with ImageFolderSource(folder, fps=200) as source:
            frames = read_all(source)
    assert [round(v, -1) for v in shades(frames)] == [10, 20, 30]
    assert any("b_15.png" in r.getMessage() for r in caplog.records)


def test_folder_of_only_broken_images_does_not_loop_forever(tmp_path: Path) -> None:
    (tmp_path / "x.png").write_bytes(b"nope")
    with ImageFolderSource(tmp_path, fps=200, loop=True) as source:
        with pytest.raises(CameraUnavailable, match="no readable image"):
            source.read()


def test_empty_or_missing_folder_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(CameraUnavailable, match="no image files"):
        ImageFolderSource(tmp_path).open()
    with pytest.raises(CameraUnavailable, match="not found"):
        ImageFolderSource(tmp_path / "missing").open()


def test_single_image_path_is_a_one_image_folder(folder: Path) -> None:
    with ImageFolderSource(folder / "b_20.png", fps=200) as source:
        assert shades(read_all(source)) == [20]


# -- configuration ----------------------------------------------------------------------------


def test_token_file_ignores_comments_and_blanks(tmp_path: Path) -> None:
    path = tmp_path / "tokens.txt"
    path.write_text("# demo badges\nAAAA\n\n  BBBB  # second\n#CCCC\n")
    assert read_token_file(path) == ["AAAA", "BBBB"]


def test_factory_builds_each_source(tmp_path: Path, clip_20fps: Path) -> None:
    device = make_frame_source(CameraSettings(source="device", device=2, width=1280, height=720))
    assert isinstance(device, DeviceCamera)
    assert (device.device, device.width, device.height) == (2, 1280, 720)

    url = make_frame_source(CameraSettings(source="url", url="http://cam.local/video"))
    assert isinstance(url, DeviceCamera) and url.device == "http://cam.local/video"

    video = make_frame_source(CameraSettings(source="video", path=clip_20fps, loop=True))
    assert isinstance(video, VideoFileSource)
    assert video.loop and video.fps is None  # the file's own rate

    paced = make_frame_source(CameraSettings(source="video", path=clip_20fps, fps=10))
    assert isinstance(paced, VideoFileSource) and paced.fps == 10

    images = make_frame_source(CameraSettings(source="images", path=tmp_path, fps=15))
    assert isinstance(images, ImageFolderSource)
    assert (images.fps, images.frames_per_image) == (15, 15)


def test_factory_demo_tokens_come_from_the_file_else_the_argument(tmp_path: Path) -> None:
    token_file = tmp_path / "tokens.txt"
    token_file.write_text("FROMFILE\n")
    demo = make_frame_source(CameraSettings(source="demo"), tokens=["FROMARG"])
    assert isinstance(demo, DemoSource)
    demo.open()
    assert demo.tokens == ["FROMARG"]
    demo = make_frame_source(CameraSettings(source="demo", path=token_file), tokens=["FROMARG"])
    demo.open()
    assert demo.tokens == ["FROMFILE"]
