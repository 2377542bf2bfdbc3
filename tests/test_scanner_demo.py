"""The demo camera shows readable badges of its tokens, in turn, with empty gaps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scanner_clips import example_token
from support import FakeClock

from kiosk.scanner.base import CameraUnavailable
from kiosk.scanner.decoders import ZbarDecoder, ZxingDecoder
from kiosk.scanner.demo_source import DEMO_TEXT, DemoSource, DemoTimeline, render_qr

TOKENS = [example_token("demo-a"), example_token("demo-b")]


@pytest.fixture
def demo() -> DemoSource:
    source = DemoSource(TOKENS, fps=30)
    source.open()
    yield source
    source.close()


def test_frames_are_640x480_bgr(demo: DemoSource) -> None:
    frame = demo.render(0)
    assert frame.shape == (480, 640, 3) and frame.dtype == np.uint8
    assert frame.std() > 5  # a textured background, not a flat fill


def test_held_badges_decode_to_the_tokens_shown_in_turn(demo: DemoSource) -> None:
    zxing = ZxingDecoder()
    cycle_frames = round(demo.timeline.cycle * demo.fps)
    shown: list[str] = []
    for index in range(0, 2 * cycle_frames, 3):
        expected = demo.token_at(index)
        got = [code.text for code in zxing.decode(demo.render(index))]
        if expected is not None:
            assert got == [expected], f"frame {index}"
            if not shown or shown[-1] != expected:
                shown.append(expected)
        else:
            assert set(got) <= set(TOKENS)
    assert shown == TOKENS


def test_zbar_reads_the_demo_too(demo: DemoSource) -> None:
    index = round((demo.timeline.enter + 1.0) * demo.fps)
    assert [c.text for c in ZbarDecoder().decode(demo.render(index))] == [demo.token_at(index)]


def test_empty_phase_has_no_code(demo: DemoSource) -> None:
    tl = demo.timeline
    index = round((tl.enter + tl.hold + tl.leave + tl.empty / 2) * demo.fps)
    assert demo.token_at(index) is None
    assert ZxingDecoder().decode(demo.render(index)) == []


def test_badge_moves_while_held(demo: DemoSource) -> None:
    start = round((demo.timeline.enter + 0.2) * demo.fps)
    assert not np.array_equal(demo.render(start), demo.render(start + 10))


def test_without_tokens_it_shows_the_demo_code() -> None:
    with DemoSource(fps=30) as source:
        index = round((source.timeline.enter + 0.5) * 30)
        assert [c.text for c in ZxingDecoder().decode(source.render(index))] == [DEMO_TEXT]


def test_tokens_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "tokens.txt"
    path.write_text(f"# two badges\n{TOKENS[1]}\n\n{TOKENS[0]}  # the second\n")
    with DemoSource(token_file=path) as source:
        assert source.tokens == [TOKENS[1], TOKENS[0]]


def test_missing_token_file_is_camera_unavailable(tmp_path: Path) -> None:
    with pytest.raises(CameraUnavailable, match="tokens.txt"):
        DemoSource(token_file=tmp_path / "tokens.txt").open()


def test_read_is_paced_and_cycles() -> None:
    timeline = DemoTimeline(enter=0.1, hold=0.2, leave=0.1, empty=0.1)
    clock = FakeClock()
    with DemoSource(TOKENS, fps=50, timeline=timeline, clock=clock,
                    sleep=clock.sleep) as source:
        frames = [source.read() for _ in range(36)]
        assert [source.token_at(i) for i in (10, 33)] == TOKENS
    assert clock.sleeps == pytest.approx([0.02] * 35)  # 35 intervals of 20 ms
    zxing = ZxingDecoder()  # a cycle is 25 frames: the second badge is held at frame 33
    assert [[c.text for c in zxing.decode(frames[i])] for i in (10, 33)] == [[t] for t in TOKENS]


def test_render_before_open_is_unavailable() -> None:
    with pytest.raises(CameraUnavailable):
        DemoSource(TOKENS).read()


def test_qr_has_a_four_module_quiet_zone() -> None:
    image = render_qr("BRAMKA-DEMO", module_px=1)
    assert (image[:4] == 255).all() and (image[:, :4] == 255).all()
    assert (image[-4:] == 255).all() and (image[:, -4:] == 255).all()
    assert (image[4, 4:11] == 0).all()  # the finder pattern's top edge starts right there
