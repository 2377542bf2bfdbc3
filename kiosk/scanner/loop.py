"""The scanning loop: frames in, debounced codes out, in its own thread.

The loop never dies of a camera problem. When the source cannot be opened or
read it is closed, the state turns "unavailable", and after ``retry_seconds`` a
fresh source is built by the factory and opened again.

A camera can also simply stop delivering frames: a network stream that hangs
inside ``cv2.VideoCapture.read`` never raises. A watchdog thread notices when no
frame has come for ``stall_seconds`` and turns the state "unavailable" ("no frames
for N s") while the read is still blocked; the next frame turns it "running"
again. If the blocked read fails in the end, the usual close-and-retry follows.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from kiosk.scanner.base import CameraUnavailable, Decoder, FrameSource

log = logging.getLogger(__name__)

CameraStatus = Literal["starting", "running", "unavailable", "stopped"]
PREVIEW_MIN_INTERVAL = 0.1  # seconds between two JPEG encodings of the preview
PREVIEW_QUALITY = 75
DECODER_ERROR_LOG_INTERVAL = 10.0
STALL_MIN_FRAMES = 3  # a stall is never shorter than this many of the source's frame intervals


class Debouncer:
    """Counts a code held in view once.

    A code counts again only after it has been out of view for ``window_seconds``:
    every sighting refreshes its last-seen time. ``now`` is a monotonic clock.
    """

    def __init__(self, window_seconds: float) -> None:
        if window_seconds < 0:
            raise ValueError(f"window_seconds must not be negative, got {window_seconds}")
        self.window = window_seconds
        self._last_seen: dict[str, float] = {}

    def should_report(self, text: str, now: float) -> bool:
        last = self._last_seen.get(text)
        self._last_seen[text] = now
        if len(self._last_seen) > 64:
            self._forget_before(now - self.window)
        return last is None or now - last >= self.window

    def _forget_before(self, cutoff: float) -> None:
        # An entry last seen before the window would be reported anyway: dropping it
        # changes nothing but memory.
        stale = [text for text, seen in self._last_seen.items() if seen < cutoff]
        for text in stale:
            del self._last_seen[text]

    def __len__(self) -> int:
        return len(self._last_seen)


@dataclass(frozen=True, slots=True)
class CameraState:
    """A snapshot of the scanner for the UI and logs. ``message`` is English and technical."""

    status: CameraStatus
    message: str = ""
    frames: int = 0
    fps: float = 0.0
    decoder: str = ""
    last_error_at: float | None = None  # wall-clock time.time() of the last camera error


class ScannerLoop:
    """Reads frames from a source, decodes them, and calls ``on_code`` once per new code.

    ``on_code`` runs in the loop's thread: keep it quick (hand the code to a queue).
    Its exceptions are logged and never stop the loop. ``on_state`` is called on
    every change of status or message, from the loop's thread or, for a stall, from
    the watchdog's thread; calls never overlap.

    ``stall_seconds`` is how long an open source may go without delivering a frame
    before the state turns "unavailable"; it is raised to a few frame intervals for
    a source that says it is slower (:attr:`FrameSource.frame_interval`).

    ``clock`` (monotonic seconds) times frames: the debounce window, the frame rate,
    stalls and the preview's cache. Tests pass a clock their frame source advances,
    so a scan runs in virtual time, however busy the machine.
    """

    def __init__(
        self,
        source_factory: Callable[[], FrameSource],
        decoder: Decoder,
        on_code: Callable[[str], None],
        *,
        debounce_seconds: float = 3.0,
        retry_seconds: float = 2.0,
        on_state: Callable[[CameraState], None] | None = None,
        stall_seconds: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if retry_seconds <= 0:
            raise ValueError(f"retry_seconds must be positive, got {retry_seconds}")
        if stall_seconds <= 0:
            raise ValueError(f"stall_seconds must be positive, got {stall_seconds}")
        self._factory = source_factory
        self._decoder = decoder
        self._on_code = on_code
        self._on_state = on_state
        self._clock = clock
        self._debouncer = Debouncer(debounce_seconds)
        self.retry_seconds = retry_seconds
        self.stall_seconds = stall_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._watchdog_thread: threading.Thread | None = None
        # The watchdog's condition guards the fields below and serialises the
        # stall/recovery transitions of the state between the two threads.
        self._watch = threading.Condition(threading.RLock())
        self._last_frame_at: float | None = None  # monotonic; None while no source is open
        self._stall_limit = stall_seconds  # for the open source
        self._stalled = False
        self._running_message = ""
        self._state_lock = threading.Lock()
        self._status: CameraStatus = "stopped"
        self._message = "not started"
        self._last_error_at: float | None = None
        self._frames = 0
        self._fps = 0.0
        self._latest: np.ndarray | None = None
        self._preview_lock = threading.Lock()
        self._preview_frame: np.ndarray | None = None
        self._preview_width = 0
        self._preview_jpeg: bytes | None = None
        self._preview_at = 0.0
        self._decoder_error_logged_at = -DECODER_ERROR_LOG_INTERVAL

    # -- control -----------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            raise RuntimeError("the scanner loop is already running")
        stop = self._stop = threading.Event()
        with self._watch:
            self._last_frame_at = None
            self._stalled = False
        self._thread = threading.Thread(target=self._run, name="scanner-loop", daemon=True)
        self._watchdog_thread = threading.Thread(
            target=self._watchdog, args=(stop,), name="scanner-watchdog", daemon=True
        )
        self._watchdog_thread.start()
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> bool:
        """Ask the loop to end and wait up to ``timeout`` seconds; True when it has ended.

        The loop checks for stop between two frames and while waiting to retry, so
        it normally ends within one frame. A ``read`` blocked inside OpenCV (a hung
        stream) cannot be interrupted: then this returns False after ``timeout``,
        the watchdog has still ended, and the loop's thread (a daemon) ends as soon
        as the read returns, for a URL stream at the latest after the camera's read
        timeout.
        """
        self._stop.set()
        with self._watch:
            self._watch.notify_all()
        deadline = time.monotonic() + timeout
        watchdog = self._watchdog_thread
        if watchdog is not None and watchdog is not threading.current_thread():
            watchdog.join(max(0.0, deadline - time.monotonic()))
        thread = self._thread
        if thread is None:
            return True
        if thread is not threading.current_thread():
            thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            log.warning("scanner loop did not stop within %.1f s (source blocked?)", timeout)
            return False
        return True

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def state(self) -> CameraState:
        with self._state_lock:
            return CameraState(
                status=self._status,
                message=self._message,
                frames=self._frames,
                fps=round(self._fps, 1),
                decoder=self._decoder.name,
                last_error_at=self._last_error_at,
            )

    # -- preview -----------------------------------------------------------------------------

    def latest_jpeg(self, max_width: int = 640) -> bytes | None:
        """The latest frame as JPEG, at most ``max_width`` wide; None before the first frame.

        Encoded on demand in the caller's thread, at most about 10 times a second
        (a cached encoding is returned in between), so an unwatched preview costs
        the loop nothing.
        """
        with self._preview_lock:
            frame = self._latest
            if frame is None:
                return None
            now = self._clock()
            cached = self._preview_jpeg is not None and max_width == self._preview_width
            fresh = now - self._preview_at < PREVIEW_MIN_INTERVAL
            if cached and (fresh or frame is self._preview_frame):
                return self._preview_jpeg
            image = frame
            width = image.shape[1]
            if max_width > 0 and width > max_width:
                height = max(1, round(image.shape[0] * max_width / width))
                image = cv2.resize(image, (max_width, height), interpolation=cv2.INTER_AREA)
            ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, PREVIEW_QUALITY])
            if not ok:
                log.warning("could not encode the preview frame")
                return None
            self._preview_jpeg = buffer.tobytes()
            self._preview_frame = frame
            self._preview_width = max_width
            self._preview_at = now
            return self._preview_jpeg

    # -- the thread --------------------------------------------------------------------------

    def _set_state(self, status: CameraStatus, message: str, *, error: bool = False) -> None:
        with self._state_lock:
            if error:
                self._last_error_at = time.time()
            changed = status != self._status or message != self._message
            self._status = status
            self._message = message
        if changed and self._on_state is not None:
            try:
                self._on_state(self.state)
            except Exception:
                log.exception("on_state callback failed")

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self._run_source_once()
                if self._stop.is_set():
                    break
                self._stop.wait(self.retry_seconds)
        finally:
            self._stop.set()  # ends the watchdog too, however the loop ended
            with self._watch:
                self._watch.notify_all()
            self._latest = None
            self._set_state("stopped", "stopped")

    def _run_source_once(self) -> None:
        """Open one source and scan until it fails or the loop is stopped."""
        if self._status != "unavailable":  # a retry keeps showing "unavailable" until it works
            self._set_state("starting", "opening camera")
        source: FrameSource | None = None
        try:
            source = self._factory()
            source.open()
            self._running_message = f"scanning {source.name} with {self._decoder.name}"
            self._set_state("running", self._running_message)
            self._watch_source(source)
            try:
                self._scan(source)
            finally:
                self._unwatch_source()
        except CameraUnavailable as exc:
            self._unavailable(f"camera unavailable: {exc}")
        except Exception as exc:
            message = f"camera error: {type(exc).__name__}: {exc}"
            if message != self._message:  # a traceback once, not at every retry
                log.exception("camera source failed")
            self._unavailable(message)
        finally:
            if source is not None:
                try:
                    source.close()
                except Exception:
                    log.exception("closing the camera source failed")

    def _unavailable(self, message: str) -> None:
        self._latest = None
        self._fps = 0.0
        if self._stop.is_set():
            return
        repeated = self._status == "unavailable" and message == self._message
        log.log(
            logging.DEBUG if repeated else logging.WARNING,
            "%s; retrying every %.1f s",
            message,
            self.retry_seconds,
        )
        self._set_state("unavailable", message, error=True)

    def _scan(self, source: FrameSource) -> None:
        stop = self._stop
        decode = self._decoder.decode
        should_report = self._debouncer.should_report
        monotonic = self._clock
        window_start = monotonic()
        window_frames = 0
        while not stop.is_set():
            frame = source.read()
            now = monotonic()
            if self._frame_arrived(now):  # back from a stall: measure afresh
                window_start = now
                window_frames = 0
            self._latest = frame
            self._frames += 1
            window_frames += 1
            if now - window_start >= 1.0:
                self._fps = window_frames / (now - window_start)
                window_start = now
                window_frames = 0
            try:
                codes = decode(frame)
            except Exception:
                self._decoder_failed(now)
                continue
            for code in codes:
                if should_report(code.text, now):
                    self._report(code.text)

    # -- the stall watchdog ------------------------------------------------------------------

    def _watch_source(self, source: FrameSource) -> None:
        """Start timing frames of a freshly opened source."""
        limit = self.stall_seconds
        try:
            interval = source.frame_interval
        except Exception:
            interval = None
        if interval is not None and interval > 0:
            limit = max(limit, STALL_MIN_FRAMES * interval)
        with self._watch:
            self._stall_limit = limit
            self._stalled = False
            self._last_frame_at = self._clock()
            self._watch.notify_all()

    def _unwatch_source(self) -> None:
        with self._watch:
            self._last_frame_at = None
            self._stalled = False

    def _frame_arrived(self, now: float) -> bool:
        """Note a frame; True when it ends a stall (the state is "running" again)."""
        with self._watch:
            self._last_frame_at = now
            if not self._stalled:
                return False
            self._stalled = False
            if self._stop.is_set():
                return True
            log.info("frames are coming again from the camera")
            self._set_state("running", self._running_message)
            self._watch.notify_all()
            return True

    def _watchdog(self, stop: threading.Event) -> None:
        """Turn the state "unavailable" when an open source delivers no frame in time.

        Sleeps on the condition until the next frame is due at the latest; no polling
        while no source is open or a stall has been reported (a frame or stop wakes it).
        """
        watch = self._watch
        with watch:
            while not stop.is_set():
                last = self._last_frame_at
                if last is None or self._stalled:
                    watch.wait()
                    continue
                limit = self._stall_limit
                idle = self._clock() - last
                if idle < limit:
                    watch.wait(limit - idle)
                    continue
                self._stalled = True
                self._latest = None
                self._fps = 0.0
                message = f"no frames for {round(limit, 2):g} s"
                log.warning("%s from the camera; still waiting for the next frame", message)
                self._set_state("unavailable", message, error=True)

    def _decoder_failed(self, now: float) -> None:
        if now - self._decoder_error_logged_at >= DECODER_ERROR_LOG_INTERVAL:
            self._decoder_error_logged_at = now
            log.exception("decoder %s failed on a frame", self._decoder.name)

    def _report(self, text: str) -> None:
        log.info("code read: %s", text[:16] + ("..." if len(text) > 16 else ""))
        try:
            self._on_code(text)
        except Exception:
            log.exception("on_code callback failed for a scanned code")
