"""``bramka decode``: one JSON line per path, errors as lines, exit code 1 on any failure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from scanner_clips import example_token, make_badge_clip, make_empty_clip, make_qr_png

from kiosk.decode_cli import decode

TOKEN = example_token("cli")


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("media")
    return {
        "png": make_qr_png(root / "badge.png", TOKEN, blur=0.7, noise=3.0),
        "plain": make_qr_png(root / "plain.png", "BRAMKA-DEMO", plain=True),
        "video": make_badge_clip(root / "badge.avi", TOKEN, fps=15, seconds=1.0,
                                 lead_seconds=0.2),
        "empty": make_empty_clip(root / "empty.avi", fps=10, seconds=0.5, size=(320, 240)),
    }


def run(*args: str):
    result = CliRunner().invoke(decode, list(args))
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    return result, lines


@pytest.mark.parametrize("decoder", ["zxing", "zbar"])
def test_image_gives_its_code_and_time(media: dict[str, Path], decoder: str) -> None:
    result, lines = run("--decoder", decoder, str(media["png"]))
    assert result.exit_code == 0, result.output
    assert lines == [{"path": str(media["png"]), "codes": [{"text": TOKEN}], "ms": lines[0]["ms"]}]
    assert isinstance(lines[0]["ms"], float) and lines[0]["ms"] >= 0


def test_video_gives_distinct_codes_and_frame_count(media: dict[str, Path]) -> None:
    result, lines = run(str(media["video"]), str(media["empty"]))
    assert result.exit_code == 0, result.output
    video, empty = lines
    assert video["frames"] == 15
    assert [c["text"] for c in video["codes"]] == [TOKEN]
    assert 3 <= video["codes"][0]["first_frame"] < 15  # after the empty lead-in
    assert isinstance(video["ms"], float)
    assert empty["codes"] == [] and empty["frames"] == 5


def test_missing_and_unreadable_files_are_error_lines(media: dict[str, Path], tmp_path: Path):
    junk = tmp_path / "notes.txt"
    junk.write_text("hello")
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG not really")
    missing = tmp_path / "missing.png"
    result, lines = run(str(missing), str(media["plain"]), str(junk), str(broken), str(tmp_path))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert [sorted(line) for line in lines] == [
        ["error", "path"], ["codes", "ms", "path"], ["error", "path"], ["error", "path"],
        ["error", "path"],
    ]
    assert lines[0] == {"path": str(missing), "error": "no such file"}
    assert lines[1]["codes"] == [{"text": "BRAMKA-DEMO"}]
    assert lines[4]["error"] == "is a directory"


def test_no_path_is_a_usage_error() -> None:
    result = CliRunner().invoke(decode, [])
    assert result.exit_code == 2


def test_unknown_decoder_is_a_usage_error(media: dict[str, Path]) -> None:
    result = CliRunner().invoke(decode, ["--decoder", "wechat", str(media["png"])])
    assert result.exit_code == 2
