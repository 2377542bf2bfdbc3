"""CPU share and memory of the whole scanning loop at 30 fps, 640x480, with zxing.

Run: ``.venv/bin/python bench/bench_scan_cpu.py [--seconds 10]``. Writes
``bench/results/scan_cpu.json``.

The loop replays a looping MJPG clip (mostly an empty view, then a badge held in
view) through ``VideoFileSource`` at 30 fps, decodes every frame and debounces,
exactly as a kiosk does. CPU share = process CPU time / wall time over the run,
as a fraction of one core. Decoding the MJPG replay itself is part of that cost;
a second, shorter run that only reads the clip measures it, so the scanner's own
share can be told apart. A third run polls the live preview 10 times a second.
Peak memory is the process's VmHWM. Targets: <= 15 % of one core, <= 150 MB.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from scanner_clips import example_token, make_badge_clip  # noqa: E402

from bench.common import machine, write_result  # noqa: E402
from kiosk.scanner.decoders import ZxingDecoder  # noqa: E402
from kiosk.scanner.frames import VideoFileSource  # noqa: E402
from kiosk.scanner.loop import ScannerLoop  # noqa: E402

FPS = 30.0
TARGET_CPU_SHARE = 0.15
TARGET_RSS_MB = 150.0


def status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status, in MB (0 when unknown)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    if field == "VmHWM":  # not Linux: ru_maxrss is in kB on Linux, bytes on macOS
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return 0.0


def measure(run, seconds: float) -> dict[str, float]:
    cpu0, wall0 = time.process_time(), time.monotonic()
    extra = run(seconds)
    cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 3),
            "cpu_share": round(cpu / wall, 4), **extra}


def scan_run(clip: Path, preview_hz: float = 0.0):
    def run(seconds: float) -> dict[str, Any]:
        codes: list[str] = []
        loop = ScannerLoop(
            lambda: VideoFileSource(clip, fps=FPS, loop=True),
            ZxingDecoder(),
            codes.append,
            debounce_seconds=3.0,
            retry_seconds=1.0,
        )
        loop.start()
        deadline = time.monotonic() + seconds
        previews = 0
        while time.monotonic() < deadline:
            if preview_hz:
                if loop.latest_jpeg() is not None:
                    previews += 1
                time.sleep(1 / preview_hz)
            else:
                time.sleep(0.1)
        state = loop.state
        loop.stop(5.0)
        return {"frames": state.frames, "measured_fps": state.fps, "codes_reported": len(codes),
                "previews": previews, "status_at_end": state.status}
    return run


def replay_only_run(clip: Path):
    def run(seconds: float) -> dict[str, Any]:
        frames = 0
        done = threading.Event()

        def read() -> None:
            nonlocal frames
            with VideoFileSource(clip, fps=FPS, loop=True) as source:
                while not done.is_set():
                    source.read()
                    frames += 1

        thread = threading.Thread(target=read, daemon=True)
        thread.start()
        time.sleep(seconds)
        done.set()
        thread.join(5.0)
        return {"frames": frames}
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the main run")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        # 6 s: 3 s of empty view, the badge slides in and is held for the rest.
        clip = make_badge_clip(Path(tmp) / "loop.avi", example_token("cpu"), fps=FPS,
                               seconds=6.0, lead_seconds=3.0, blur=0.6, noise=3.0)
        rss_before = status_mb("VmRSS")
        scan = measure(scan_run(clip), args.seconds)
        replay = measure(replay_only_run(clip), args.seconds / 2)
        preview = measure(scan_run(clip, preview_hz=10.0), args.seconds / 2)
    peak_mb = status_mb("VmHWM")

    scanner_share = scan["cpu_share"] - replay["cpu_share"]
    verdict = {
        "cpu_share_ok": scan["cpu_share"] <= TARGET_CPU_SHARE,
        "peak_rss_ok": peak_mb <= TARGET_RSS_MB,
    }
    print("| run | wall s | CPU s | share of one core | frames |")
    print("|---|---|---|---|---|")
    for name, r in (("scan loop (replay + zxing + debounce)", scan),
                    ("replay only (MJPG decode + pacing)", replay),
                    ("scan loop + preview polled at 10 Hz", preview)):
        print(f"| {name} | {r['wall_s']:.1f} | {r['cpu_s']:.2f} "
              f"| {100 * r['cpu_share']:.1f} % | {r['frames']} |")
    print()
    print(f"scanner's own share (loop minus replay): {100 * scanner_share:.1f} % of one core")
    print(f"codes reported in the main run: {scan['codes_reported']}; "
          f"measured fps at the end: {scan['measured_fps']}")
    print(f"peak RSS (VmHWM): {peak_mb:.1f} MB (RSS before the runs: {rss_before:.1f} MB)")
    print(f"targets: CPU <= 15 %: {'met' if verdict['cpu_share_ok'] else 'MISSED'}; "
          f"RSS <= 150 MB: {'met' if verdict['peak_rss_ok'] else 'MISSED'}")
    print(f"machine: {machine()}")
    path = write_result("scan_cpu", {
        "benchmark": "scan_cpu",
        "fps": FPS,
        "frame_size": [640, 480],
        "decoder": "zxing",
        "targets": {"cpu_share": TARGET_CPU_SHARE, "peak_rss_mb": TARGET_RSS_MB},
        "verdict": verdict,
        "scan": scan,
        "replay_only": replay,
        "scan_with_preview": preview,
        "scanner_share_without_replay": round(scanner_share, 4),
        "peak_rss_mb": round(peak_mb, 1),
        "rss_before_runs_mb": round(rss_before, 1),
    })
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
