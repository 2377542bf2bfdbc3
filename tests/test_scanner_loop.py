"""ScannerLoop: reports each badge once, survives camera loss and bad callbacks, stops fast."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from scanner_clips import example_token, make_badge_clip
from support import FakeClock

from kiosk.scanner.base import CameraUnavailable, DecodedCode, Decoder, FramePacer, FrameSource
from kiosk.scanner.decoders import ZxingDecoder
from kiosk.scanner.demo_source import DemoSource, DemoTimeline
from kiosk.scanner.frames import VideoFileSource
from kiosk.scanner.loop import CameraState, ScannerLoop

TOKEN = example_token("loop")
WAIT = 10.0  # for anything that must happen: only ever reached when a test fails


def wait_for(condition: Callable[[], bool], timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


class Recorder:
    """Collects codes and states from the loop's thread."""

    def __init__(self) -> None:
        self.codes: list[str] = []
        self.states: list[CameraState] = []
        self.lock = threading.Lock()

    def on_code(self, text: str) -> None:
        with self.lock:
            self.codes.append(text)

    def on_state(self, state: CameraState) -> None:
        with self.lock:
            self.states.append(state)

    def statuses(self) -> list[str]:
        with self.lock:
            return [s.status for s in self.states]


class MarkerDecoder(Decoder):
    """Reads the text a ScriptedSource wrote into a frame's first row (fast, exact)."""

    name = "marker"

    def decode(self, frame: np.ndarray) -> list[DecodedCode]:
        raw = bytes(frame[0, :64]).rstrip(b"\0")
        return [DecodedCode(raw.decode())] if raw else []


def marked(text: str | None) -> np.ndarray:
    frame = np.zeros((8, 64), np.uint8)
    if text:
        frame[0, : len(text)] = np.frombuffer(text.encode(), np.uint8)
    return frame


class ScriptedSource(FrameSource):
    """Plays ``script`` (texts or None for empty frames) at ``fps``, then repeats or fails.

    Paced on the real clock, or with ``clock`` on that virtual one (then no frame ever
    waits). With ``hold_at`` the read of that frame blocks until ``release`` is set.
    """

    name = "scripted"

    def __init__(
        self,
        script: list[str | None],
        *,
        fps: float = 200.0,
        fail_open: bool = False,
        repeat: bool = True,
        clock: FakeClock | None = None,
        hold_at: int | None = None,
    ) -> None:
        self.script = script
        self.fps = fps
        self.fail_open = fail_open
        self.repeat = repeat
        self.clock = clock
        self.hold_at = hold_at
        self.held = threading.Event()
        self.release = threading.Event()
        self.opened = 0
        self.closed = 0
        self.reads = 0
        self._frames: Iterator[str | None] = iter(())
        self._pacer = FramePacer(fps)

    def open(self) -> None:
        self.opened += 1
        if self.fail_open:
            raise CameraUnavailable("no camera on /dev/video0")
        self._frames = iter(self.script * (10_000 if self.repeat else 1))
        clock = self.clock
        self._pacer = (FramePacer(self.fps) if clock is None
                       else FramePacer(self.fps, clock=clock, sleep=clock.sleep))

    def read(self) -> np.ndarray:
        self.reads += 1
        if self.reads == self.hold_at:
            self.held.set()
            assert self.release.wait(WAIT), "the test never released the held frame"
        self._pacer.wait()
        try:
            return marked(next(self._frames))
        except StopIteration:
            raise CameraUnavailable("stream ended") from None

    def close(self) -> None:
        self.closed += 1
        self.release.set()



def factory_of(*sources: FrameSource) -> Callable[[], FrameSource]:
    """Hands out ``sources`` in turn, the last one for ever."""
    queue = list(sources)

    def factory() -> FrameSource:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return factory


@pytest.fixture
def loops() -> Iterator[list[ScannerLoop]]:
    made: list[ScannerLoop] = []
    yield made
    for loop in made:
        loop.stop(2.0)


def test_badge_held_in_view_for_two_seconds_reports_once(tmp_path: Path, loops) -> None:
    clip = make_badge_clip(tmp_path / "held.avi", TOKEN, fps=30, seconds=2.6, lead_seconds=0.3,
                           blur=0.6, noise=3.0)
    rec = Recorder()
    clock = FakeClock()  # the clip's own 30 fps, in virtual time
    # The window is shorter than the hold: only continuous sightings keep it from re-counting.
    loop = ScannerLoop(lambda: VideoFileSource(clip, clock=clock, sleep=clock.sleep),
                       ZxingDecoder(), rec.on_code, debounce_seconds=0.5, retry_seconds=30,
                       on_state=rec.on_state, clock=clock)
    loops.append(loop)
    loop.start()
    assert wait_for(lambda: "unavailable" in rec.statuses())  # the clip ended
    assert rec.codes == [TOKEN]
    assert loop.state.frames == 78
    assert clock.sleeps == pytest.approx([1 / 30] * 77)  # paced at the clip's 30 fps
    assert rec.statuses() == ["starting", "running", "unavailable"]
    assert "stream ended" in rec.states[-1].message
    assert rec.states[-1].decoder == "zxing"
    assert rec.states[-1].last_error_at is not None


@pytest.mark.parametrize(("gap", "codes"), [(30, ["A", "A"]), (8, ["A"])],
                         ids=["155-ms-gap-counts-again", "45-ms-gap-does-not"])
def test_code_counts_again_after_leaving_view(loops, gap: int, codes: list[str]) -> None:
    rec = Recorder()
    clock = FakeClock()  # frames every 5 ms of virtual time, however busy the machine
    script = ["A"] * 5 + [None] * gap + ["A"] * 5 + [None] * 30  # out of view gap+1 frames
    loop = ScannerLoop(lambda: ScriptedSource(script, repeat=False, clock=clock),
                       MarkerDecoder(), rec.on_code, debounce_seconds=0.05, retry_seconds=30,
                       on_state=rec.on_state, clock=clock)
    loops.append(loop)
    loop.start()
    assert wait_for(lambda: "unavailable" in rec.statuses())
    assert rec.codes == codes


def test_the_frame_rate_is_measured_on_the_loops_clock(loops) -> None:
    clock = FakeClock()
    source = ScriptedSource([None], fps=50, clock=clock, hold_at=80)
    loop = ScannerLoop(lambda: source, MarkerDecoder(), lambda text: None, clock=clock)
    loops.append(loop)
    loop.start()
    assert source.held.wait(WAIT)  # 79 frames in 1.56 s of virtual time, then held
    try:
        assert loop.state.fps == pytest.approx(50, abs=1.5)
        assert loop.state.frames == 79
    finally:
        source.release.set()


def test_unavailable_camera_recovers_when_a_working_source_comes(loops) -> None:
    rec = Recorder()
    broken = ScriptedSource([], fail_open=True)
    working = ScriptedSource(["B", None, None])
    loop = ScannerLoop(factory_of(broken, broken, working), MarkerDecoder(), rec.on_code,
                       debounce_seconds=5, retry_seconds=0.05, on_state=rec.on_state)
    loops.append(loop)
    loop.start()
    assert wait_for(lambda: rec.codes == ["B"])
    assert rec.statuses() == ["starting", "unavailable", "running"]
    assert "no camera on /dev/video0" in rec.states[1].message
    assert broken.opened == 2 and broken.closed == 2  # each failed source is closed
    assert loop.state.status == "running"


def test_a_crashing_factory_or_source_never_kills_the_loop(loops) -> None:
    rec = Recorder()
    calls = {"n": 0}

    def factory() -> FrameSource:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("v4l2 ioctl failed")
        if calls["n"] == 2:
            return CrashingSource()
        return ScriptedSource(["C"])

    class CrashingSource(ScriptedSource):
        def __init__(self) -> None:
            super().__init__(["C"])

        def read(self) -> np.ndarray:
            raise RuntimeError("driver bug")

    loop = ScannerLoop(factory, MarkerDecoder(), rec.on_code, debounce_seconds=5,
                       retry_seconds=0.05, on_state=rec.on_state)
    loops.append(loop)
    loop.start()
    assert wait_for(lambda: rec.codes == ["C"])
    messages = [s.message for s in rec.states if s.status == "unavailable"]
    assert any("OSError: v4l2 ioctl failed" in m for m in messages)
    assert any("RuntimeError: driver bug" in m for m in messages)
    assert loop.running


def test_on_code_raising_does_not_stop_the_loop(loops) -> None:
    seen: list[str] = []

    def on_code(text: str) -> None:
        seen.append(text)
        if text == "X":
            raise ValueError("database is locked")

    loop = ScannerLoop(lambda: ScriptedSource(["X", None, "Y", None]), MarkerDecoder(), on_code,
                       debounce_seconds=60, retry_seconds=30)
    loops.append(loop)
    loop.start()
    assert wait_for(lambda: seen == ["X", "Y"])
    assert loop.state.status == "running"


def test_decoder_errors_skip_the_frame_only(loops) -> None:
    class Flaky(MarkerDecoder):
        def __init__(self) -> None:
            self.calls = 0

        def decode(self, frame: np.ndarray) -> list[DecodedCode]:
            self.calls += 1
            if self.calls % 2:
                raise RuntimeError("bad frame")
            return super().decode(frame)

    rec = Recorder()
    loop = ScannerLoop(lambda: ScriptedSource(["D"]), Flaky(), rec.on_code,
                       debounce_seconds=60, retry_seconds=30, on_state=rec.on_state)
    loops.append(loop)
    loop.start()
    assert wait_for(lambda: rec.codes == ["D"])
    assert rec.statuses() == ["starting", "running"]


def test_stop_joins_promptly_while_running_and_while_waiting_to_retry(loops) -> None:
    rec = Recorder()
    loop = ScannerLoop(lambda: ScriptedSource([None], fps=30), MarkerDecoder(), rec.on_code,
                       on_state=rec.on_state)
    loop.start()
    assert wait_for(lambda: loop.state.frames > 3)
    assert loop.stop(WAIT)  # ends between two frames
    assert not loop.running
    assert loop.state.status == "stopped"
    assert rec.statuses()[-1] == "stopped"

    waiting = ScannerLoop(lambda: ScriptedSource([], fail_open=True), MarkerDecoder(),
                          rec.on_code, retry_seconds=600)
    waiting.start()
    assert wait_for(lambda: waiting.state.status == "unavailable")
    assert waiting.stop(WAIT)  # well before the retry, 600 s away
    assert not waiting.running


def test_latest_jpeg_is_encoded_on_demand_and_cached(loops) -> None:
    frame = np.full((720, 1280, 3), 128, np.uint8)

    class BigFrames(ScriptedSource):
        def read(self) -> np.ndarray:
            self._pacer.wait()  # 100 fps on the real clock
            return frame.copy()

    clock = FakeClock()  # the loop's clock: the preview's cache is timed on it
    loop = ScannerLoop(lambda: BigFrames([], fps=100), MarkerDecoder(), lambda text: None,
                       clock=clock)
    loops.append(loop)
    assert loop.latest_jpeg() is None  # nothing read yet
    loop.start()
    assert wait_for(lambda: loop.state.frames > 2)
    first = loop.latest_jpeg(max_width=640)
    assert first is not None and first[:2] == b"\xff\xd8"
    image = cv2.imdecode(np.frombuffer(first, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (360, 640, 3)
    seen = loop.state.frames
    assert wait_for(lambda: loop.state.frames > seen + 2)  # newer frames have come
    clock.now += 0.09
    assert loop.latest_jpeg(max_width=640) is first  # within 100 ms: the cached encoding
    clock.now += 0.02
    assert loop.latest_jpeg(max_width=640) is not first  # a newer frame, encoded anew
    loop.stop(2.0)
    assert loop.latest_jpeg() is None  # no stale picture once stopped


def test_start_twice_is_refused(loops) -> None:
    loop = ScannerLoop(lambda: ScriptedSource([None]), MarkerDecoder(), lambda text: None)
    loops.append(loop)
    loop.start()
    with pytest.raises(RuntimeError):
        loop.start()


class FiniteDemo(DemoSource):
    """The demo camera for ``frames`` frames, then "stream ended"."""

    def __init__(self, *args: Any, frames: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.frames = frames
        self.served = 0

    def read(self) -> np.ndarray:
        if self.served >= self.frames:
            raise CameraUnavailable("stream ended")
        self.served += 1
        return super().read()


def test_demo_camera_through_the_loop_reports_each_badge_once(loops) -> None:
    rec = Recorder()
    clock = FakeClock()  # 30 fps of virtual time: every frame is decoded, none is late
    badges = [example_token("loop-a"), example_token("loop-b")]
    timeline = DemoTimeline(enter=0.15, hold=0.5, leave=0.15, empty=0.3)
    cycle = round(timeline.cycle * 30)
    loop = ScannerLoop(lambda: FiniteDemo(badges, fps=30, timeline=timeline, clock=clock,
                                          sleep=clock.sleep, frames=3 * cycle),
                       ZxingDecoder(), rec.on_code, debounce_seconds=0.25, retry_seconds=30,
                       on_state=rec.on_state, clock=clock)
    loops.append(loop)
    loop.start()
    assert wait_for(lambda: "unavailable" in rec.statuses())  # three cycles shown
    assert rec.codes == [badges[0], badges[1], badges[0]]
    assert loop.state.frames == 3 * cycle
