"""The stall watchdog: a camera that stops delivering frames is reported, even mid-read.

Timing discipline (these run on loaded 2-core machines): every wait for something
to happen is generous (seconds); the only tight checks are orderings and the
lower bound of a stall, which the watchdog guarantees by construction.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import cv2
import numpy as np
import pytest
from support import FakeClock

from kiosk.scanner import frames
from kiosk.scanner.base import (
    CameraUnavailable,
    DecodedCode,
    Decoder,
    FramePacer,
    FrameSource,
)
from kiosk.scanner.frames import (
    STREAM_OPEN_TIMEOUT,
    STREAM_READ_TIMEOUT,
    DeviceCamera,
    is_stream_url,
    stream_timeout_params,
)
from kiosk.scanner.loop import CameraState, ScannerLoop

STALL = 0.3
WAIT = 10.0  # for anything that must happen: only ever reached when a test fails


def wait_for(condition: Callable[[], bool], timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


class Recorder:
    """Collects states, with the monotonic time each arrived, from the loop's threads."""

    def __init__(self) -> None:
        self.states: list[tuple[float, CameraState]] = []
        self.codes: list[str] = []
        self.lock = threading.Lock()

    def on_state(self, state: CameraState) -> None:
        with self.lock:
            self.states.append((time.monotonic(), state))

    def on_code(self, text: str) -> None:
        with self.lock:
            self.codes.append(text)

    def statuses(self) -> list[str]:
        with self.lock:
            return [state.status for _, state in self.states]

    def first(self, status: str, message: str) -> tuple[float, CameraState]:
        with self.lock:
            return next((at, s) for at, s in self.states
                        if s.status == status and message in s.message)


class MarkerDecoder(Decoder):
    """Reads the text a GatedSource wrote into a frame's first row."""

    name = "marker"

    def decode(self, frame: np.ndarray) -> list[DecodedCode]:
        raw = bytes(frame[0, :32]).rstrip(b"\0")
        return [DecodedCode(raw.decode())] if raw else []


def marked(text: str) -> np.ndarray:
    frame = np.zeros((4, 32), np.uint8)
    frame[0, : len(text)] = np.frombuffer(text.encode(), np.uint8)
    return frame


class GatedSource(FrameSource):
    """``before`` frames at 100 fps, then one read that blocks until ``resume`` is set.

    After the gate it goes on delivering frames marked "AFTER", or raises
    ``CameraUnavailable`` when built with ``fail_after_gate`` (a stream that errors out
    in the end, as a URL stream does at its read timeout).
    """

    name = "gated"

    def __init__(
        self,
        before: int = 5,
        *,
        fail_after_gate: bool = False,
        interval: float | None = None,
        clock: FakeClock | None = None,
    ) -> None:
        self.before = before
        self.fail_after_gate = fail_after_gate
        self.interval = interval
        # 100 fps on the real clock; with ``clock`` each frame also moves that virtual
        # clock on by exactly 10 ms, however late the real one delivers it
        self.pacer = FramePacer(100)
        self.virtual = clock
        self.clock = clock or time.monotonic
        self.resume = threading.Event()
        self.blocked = threading.Event()  # set while the gated read is blocked
        self.last_frame_at = 0.0  # monotonic time the last frame was handed out
        self.reads = 0
        self.opened = 0
        self.closed = 0

    @property
    def frame_interval(self) -> float | None:
        return self.interval

    def open(self) -> None:
        self.opened += 1

    def read(self) -> np.ndarray:
        self.reads += 1
        if self.reads == self.before + 1:
            self.blocked.set()
            released = self.resume.wait(30)  # a blocked read that cannot be interrupted
            self.blocked.clear()
            if not released or self.fail_after_gate:
                raise CameraUnavailable("reading from gated failed")
        self.pacer.wait()
        if self.virtual is not None:
            self.virtual.sleep(0.01)
        frame = marked("BEFORE" if self.reads <= self.before else "AFTER")
        self.last_frame_at = self.clock()
        return frame

    def close(self) -> None:
        self.closed += 1
        self.resume.set()  # never leave a read blocked behind a closed source


class SteadySource(GatedSource):
    """Never blocks."""

    def __init__(self, clock: FakeClock | None = None) -> None:
        super().__init__(before=10**9, clock=clock)


def watchdog_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "scanner-watchdog"]


@pytest.fixture
def loops() -> Iterator[list[tuple[ScannerLoop, GatedSource | None]]]:
    made: list[tuple[ScannerLoop, GatedSource | None]] = []
    yield made
    for loop, source in made:
        if source is not None:
            source.resume.set()
        loop.stop(WAIT)


def make_loop(loops, factory: Callable[[], FrameSource], rec: Recorder, *,
              source: GatedSource | None = None, stall: float = STALL,
              retry: float = 30.0, clock: Callable[[], float] = time.monotonic) -> ScannerLoop:
    loop = ScannerLoop(factory, MarkerDecoder(), rec.on_code, debounce_seconds=60,
                       retry_seconds=retry, on_state=rec.on_state, stall_seconds=stall,
                       clock=clock)
    loops.append((loop, source))
    return loop


# -- the loop's watchdog ----------------------------------------------------------------------


def test_a_blocked_read_turns_unavailable_and_recovers_when_frames_resume(loops) -> None:
    rec = Recorder()
    source = GatedSource(before=5)
    loop = make_loop(loops, lambda: source, rec, source=source)
    loop.start()
    assert source.blocked.wait(WAIT)
    assert wait_for(lambda: loop.state.status == "unavailable")

    # Reported while the read is still blocked, and not before the stall time had passed.
    assert source.blocked.is_set() and not source.resume.is_set()
    stalled_at, stalled = rec.first("unavailable", "no frames")
    assert stalled.message == "no frames for 0.3 s"
    assert stalled_at - source.last_frame_at >= STALL
    assert stalled.last_error_at is not None
    assert stalled.fps == 0.0
    assert loop.latest_jpeg() is None  # no frozen picture while the camera is silent
    frames_while_stalled = loop.state.frames
    assert frames_while_stalled == 5

    source.resume.set()
    assert wait_for(lambda: loop.state.status == "running")
    assert wait_for(lambda: loop.state.frames > frames_while_stalled + 3)
    assert rec.statuses() == ["starting", "running", "unavailable", "running"]
    assert rec.states[-1][1].message == "scanning gated with marker"
    assert rec.codes == ["BEFORE", "AFTER"]  # scanning goes on after the stall
    assert source.opened == 1 and source.closed == 0  # a stall alone does not reopen

    assert loop.stop(WAIT)  # between two frames: no retry (30 s) is waited for
    assert rec.statuses()[-1] == "stopped"
    assert not loop.running
    assert not watchdog_threads()


def test_a_stall_is_reported_once_and_only_after_the_stall_time(loops) -> None:
    rec = Recorder()
    source = GatedSource(before=3)
    loop = make_loop(loops, lambda: source, rec, source=source)
    loop.start()
    assert source.blocked.wait(WAIT)
    assert wait_for(lambda: "unavailable" in rec.statuses())
    reported = loop.state.last_error_at
    assert reported is not None
    # Still blocked: no repeated report (each would stamp last_error_at anew), no flapping.
    # Waiting for what must not happen: five stall times, the most this test spends.
    assert not wait_for(lambda: len(rec.states) > 3 or loop.state.last_error_at != reported,
                        timeout=5 * STALL)
    assert rec.statuses() == ["starting", "running", "unavailable"]
    assert loop.state.status == "unavailable"


def test_a_steady_source_never_trips_the_watchdog(loops) -> None:
    rec = Recorder()
    # Frames every 10 ms of the loop's clock, however long a busy machine pauses a thread;
    # the watchdog looks again at least every stall time, on the real clock.
    clock = FakeClock()
    source = SteadySource(clock)
    loop = make_loop(loops, lambda: source, rec, source=source, stall=STALL, clock=clock)
    loop.start()
    assert wait_for(lambda: loop.state.frames >= 100)  # 1 s, over three stall times
    assert rec.statuses() == ["starting", "running"]


def test_a_blocked_read_that_fails_in_the_end_closes_and_retries(loops) -> None:
    rec = Recorder()
    hung = GatedSource(before=3, fail_after_gate=True)
    working = SteadySource()
    sources: list[FrameSource] = [hung, working]
    loop = make_loop(loops, lambda: sources.pop(0) if len(sources) > 1 else sources[0], rec,
                     source=hung, retry=0.05)
    loop.start()
    assert hung.blocked.wait(WAIT)
    assert wait_for(lambda: loop.state.status == "unavailable")
    hung.resume.set()  # the read now fails, as a URL stream does at its read timeout
    assert wait_for(lambda: working.opened == 1 and loop.state.status == "running")
    assert rec.statuses() == ["starting", "running", "unavailable", "unavailable", "running"]
    messages = [s.message for _, s in rec.states]
    assert messages[2] == "no frames for 0.3 s"
    assert messages[3] == "camera unavailable: reading from gated failed"
    assert hung.closed == 1


def test_stop_while_a_read_is_blocked_returns_false_and_the_loop_ends_later(loops) -> None:
    rec = Recorder()
    source = GatedSource(before=3)
    loop = make_loop(loops, lambda: source, rec, source=source)
    loop.start()
    assert source.blocked.wait(WAIT)
    assert wait_for(lambda: loop.state.status == "unavailable")

    assert loop.stop(0.2) is False  # the read cannot be interrupted
    assert loop.running
    assert wait_for(lambda: not watchdog_threads())  # the watchdog itself has ended

    source.resume.set()  # the read returns a frame: the loop notices stop and ends
    assert wait_for(lambda: not loop.running)
    assert rec.statuses() == ["starting", "running", "unavailable", "stopped"]


def test_a_slow_source_gets_a_few_frame_intervals_before_a_stall(loops) -> None:
    rec = Recorder()
    source = GatedSource(before=2, interval=0.2)  # says it delivers 5 frames a second
    loop = make_loop(loops, lambda: source, rec, source=source, stall=0.1)
    loop.start()
    assert source.blocked.wait(WAIT)
    assert wait_for(lambda: loop.state.status == "unavailable")
    stalled_at, stalled = rec.first("unavailable", "no frames")
    assert stalled.message == "no frames for 0.6 s"
    assert stalled_at - source.last_frame_at >= 0.6


def test_a_silent_stream_before_the_first_frame_is_a_stall_too(loops) -> None:
    rec = Recorder()
    source = GatedSource(before=0)
    loop = make_loop(loops, lambda: source, rec, source=source)
    loop.start()
    assert wait_for(lambda: loop.state.status == "unavailable")
    assert rec.statuses() == ["starting", "running", "unavailable"]
    source.resume.set()
    assert wait_for(lambda: loop.state.status == "running")


def test_the_stall_time_must_be_positive() -> None:
    for bad in (0, -1.0):
        with pytest.raises(ValueError, match="stall_seconds"):
            ScannerLoop(SteadySource, MarkerDecoder(), lambda text: None, stall_seconds=bad)


# -- stream timeouts of DeviceCamera ----------------------------------------------------------


def test_stream_urls_are_told_apart_from_paths_and_devices() -> None:
    assert is_stream_url("rtsp://admin:secret@192.0.2.5:554/stream")
    assert is_stream_url("HTTP://cam.local/video.mjpg")
    assert not is_stream_url(0)
    assert not is_stream_url("/dev/video0")
    assert not is_stream_url("clips/stream.avi")
    assert not is_stream_url("file:///tmp/stream.avi")
    assert not is_stream_url("rtspsrc location=rtsp://cam ! decodebin ! appsink")


def test_timeout_params_leave_out_what_this_opencv_does_not_know(monkeypatch) -> None:
    both = stream_timeout_params(10.0, 2.5)
    assert both == [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, 10000, cv2.CAP_PROP_READ_TIMEOUT_MSEC, 2500]
    assert stream_timeout_params(0, 2.5) == [cv2.CAP_PROP_READ_TIMEOUT_MSEC, 2500]
    monkeypatch.delattr(cv2, "CAP_PROP_READ_TIMEOUT_MSEC")
    assert stream_timeout_params(10.0, 2.5) == [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, 10000]
    monkeypatch.delattr(cv2, "CAP_PROP_OPEN_TIMEOUT_MSEC")
    assert stream_timeout_params(10.0, 2.5) == []


class FakeCapture:
    calls: list[tuple[Any, ...]] = []

    def __init__(self, *args: Any) -> None:
        FakeCapture.calls.append(args)

    def isOpened(self) -> bool:  # noqa: N802 - OpenCV's name
        return False

    def release(self) -> None:
        pass


def opened_with(monkeypatch, camera: DeviceCamera) -> tuple[Any, ...]:
    FakeCapture.calls = []
    monkeypatch.setattr(frames.cv2, "VideoCapture", FakeCapture)
    with pytest.raises(CameraUnavailable):
        camera.open()
    assert len(FakeCapture.calls) == 1
    return FakeCapture.calls[0]


def test_url_streams_are_opened_with_timeouts_devices_and_files_without(monkeypatch) -> None:
    url = "rtsp://admin:secret@192.0.2.5:554/stream"
    open_ms, read_ms = round(STREAM_OPEN_TIMEOUT * 1000), round(STREAM_READ_TIMEOUT * 1000)
    assert opened_with(monkeypatch, DeviceCamera(url)) == (
        url, cv2.CAP_FFMPEG,
        [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, open_ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, read_ms])
    assert opened_with(monkeypatch, DeviceCamera(url, open_timeout=3, read_timeout=0.5)) == (
        url, cv2.CAP_FFMPEG,
        [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, 3000, cv2.CAP_PROP_READ_TIMEOUT_MSEC, 500])
    assert opened_with(monkeypatch, DeviceCamera(0)) == (0,)
    assert opened_with(monkeypatch, DeviceCamera("clips/stream.avi")) == ("clips/stream.avi",)
    # An OpenCV without the timeout properties opens the URL as it always did.
    monkeypatch.delattr(cv2, "CAP_PROP_OPEN_TIMEOUT_MSEC")
    monkeypatch.delattr(cv2, "CAP_PROP_READ_TIMEOUT_MSEC")
    assert opened_with(monkeypatch, DeviceCamera(url)) == (url,)


class StallingMjpegServer:
    """An HTTP MJPEG camera on 127.0.0.1 that sends ``frames`` frames, then goes silent.

    Each connection gets the same treatment; silent connections are held open (a
    hung camera, not a closed one) until the server is closed.
    """

    def __init__(self, frames: int = 8) -> None:
        ok, jpeg = cv2.imencode(".jpg", np.full((120, 160, 3), 90, np.uint8))
        assert ok
        self.jpeg = jpeg.tobytes()
        self.frames = frames
        self.closing = threading.Event()
        self.connections: list[socket.socket] = []
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}/video.mjpg"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.closing.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections.append(conn)
            try:
                conn.settimeout(WAIT)
                conn.recv(65536)  # the request
                conn.sendall(b"HTTP/1.0 200 OK\r\n"
                             b"Content-Type: multipart/x-mixed-replace; boundary=frame\r\n\r\n")
                part = (b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n"
                        % len(self.jpeg)) + self.jpeg + b"\r\n"
                for _ in range(self.frames):
                    conn.sendall(part)
                    self.closing.wait(0.02)  # a camera's frame interval
            except OSError:
                pass  # the client went away

    def close(self) -> None:
        self.closing.set()
        self.thread.join(WAIT)
        self.server.close()
        for conn in self.connections:
            conn.close()


@pytest.fixture
def stalling_stream() -> Iterator[StallingMjpegServer]:
    server = StallingMjpegServer()
    yield server
    server.close()


def test_a_hung_url_stream_fails_at_the_read_timeout(stalling_stream) -> None:
    camera = DeviceCamera(stalling_stream.url, open_timeout=WAIT, read_timeout=0.5)
    camera.open()
    try:
        for _ in range(3):
            assert camera.read().shape[:2] == (120, 160)
        start = time.monotonic()
        with pytest.raises(CameraUnavailable, match="failed"):
            for _ in range(100):
                camera.read()
        assert time.monotonic() - start < WAIT  # OpenCV's own default would be 30 s
    finally:
        camera.close()


def test_a_hung_url_stream_through_the_loop_stalls_then_fails_and_retries(
    stalling_stream, loops
) -> None:
    rec = Recorder()
    loop = make_loop(loops, lambda: DeviceCamera(stalling_stream.url, open_timeout=WAIT,
                                                 read_timeout=1.5),
                     rec, retry=30.0)
    loop.start()
    assert wait_for(lambda: "camera unavailable" in loop.state.message, timeout=3 * WAIT)
    statuses = rec.statuses()
    assert statuses[:3] == ["starting", "running", "unavailable"]
    messages = [s.message for _, s in rec.states]
    assert messages[2] == "no frames for 0.3 s"  # the watchdog speaks first
    assert "reading from http://127.0.0.1" in messages[3]  # then the read timeout
    assert loop.stop(WAIT)  # waiting to retry: stops at once
