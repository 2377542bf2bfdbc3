"""Pre-event output: A4 badge sheets, invitations, and the `badge` CLI commands."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import zxingcpp
from click.testing import CliRunner
from PIL import Image
from support import require_tool

from bramka.config import BadgeSettings, load_settings
from printers.cli import badge_group, read_roster
from printers.invitation import invitation_pdf, invitation_png, write_invitation
from printers.layout import BadgeData
from printers.sheets import render_sheets, write_sheets

TOKEN = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" * 3 + "ABCDEFGHIJKLMNOPQRSTUVWX"


def people(count: int) -> list[BadgeData]:
    roles = ["participant", "speaker", "organizer", "press", "volunteer", "guest"]
    return [
        BadgeData(
            f"Zażółć Gęślą-Jaźń {n}",
            "Miejski Ośrodek Pomocy Społecznej w Krakowie",
            roles[n % 6],
            TOKEN[:-4] + f"{n:04d}".translate(str.maketrans("0189", "ABYZ")),
            "Małopolski Kongres Polityki Społecznej",
            "12–14.05.2025",
        )
        for n in range(count)
    ]


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", pdf))


def rasterize(pdf: Path, dpi: int = 200) -> list[Image.Image]:
    """The PDF's pages through Ghostscript (skips without it, fails under CI)."""
    out = pdf.with_suffix("")
    subprocess.run(
        [
            require_tool("gs", "ghostscript"),
            "-q",
            "-dNOPAUSE",
            "-dBATCH",
            "-dSAFER",
            "-sDEVICE=pnggray",
            f"-r{dpi}",
            f"-sOutputFile={out}-%03d.png",
            str(pdf),
        ],
        check=True,
    )
    return [Image.open(p) for p in sorted(out.parent.glob(f"{out.name}-*.png"))]


def test_sheets_put_eight_badges_on_each_a4_page(tmp_path: Path) -> None:
    data = render_sheets(people(17), BadgeSettings())
    assert data.startswith(b"%PDF")
    assert page_count(data) == 3
    assert b"DejaVu" in data  # the Polish-capable font is embedded
    assert b"/MediaBox [0 0 595.28 841.89]" in data  # A4
    assert write_sheets(people(8), BadgeSettings(), tmp_path / "s.pdf") == 1
    with pytest.raises(ValueError):
        render_sheets([], BadgeSettings())


def test_every_qr_on_a_sheet_scans(tmp_path: Path) -> None:
    badges = people(8)
    out = tmp_path / "sheet.pdf"
    write_sheets(badges, BadgeSettings(), out)
    (page,) = rasterize(out)
    found = sorted(r.text for r in zxingcpp.read_barcodes(page.convert("L")))
    assert found == sorted(b.token for b in badges)


def test_invitation_png_is_the_code_and_the_name() -> None:
    png = invitation_png(people(1)[0])
    image = Image.open(__import__("io").BytesIO(png))
    assert image.height > image.width  # the caption sits under the square code
    assert [r.text for r in zxingcpp.read_barcodes(image.convert("L"))] == [people(1)[0].token]


def test_invitation_pdf_is_one_page() -> None:
    pdf = invitation_pdf(people(1)[0])
    assert pdf.startswith(b"%PDF") and page_count(pdf) == 1


def test_invitation_pdf_code_scans(tmp_path: Path) -> None:
    out = tmp_path / "inv.pdf"
    write_invitation(people(1)[0], out)
    (page,) = rasterize(out, dpi=100)
    assert [r.text for r in zxingcpp.read_barcodes(page.convert("L"))] == [people(1)[0].token]
    with pytest.raises(ValueError, match="png or .pdf"):
        write_invitation(people(1)[0], tmp_path / "inv.txt")


def test_cli_render_writes_the_badge_as_printed(tmp_path: Path) -> None:
    out = tmp_path / "badge.png"
    result = CliRunner().invoke(
        badge_group,
        [
            "render",
            "--name",
            "Łukasz Żółć-Ćwik",
            "--institution",
            "GOPS w Gdowie",
            "--role",
            "guest_of_honour",
            "--token",
            TOKEN,
            "--out",
            str(out),
            "--paper-width",
            "384",
        ],
    )
    assert result.exit_code == 0, result.output
    image = Image.open(out)
    assert image.width == 384
    assert [r.text for r in zxingcpp.read_barcodes(image.convert("L"))] == [TOKEN]


def test_cli_sheets_from_a_polish_excel_csv(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    lines = ["name;institution;role;token"] + [
        f"{b.name};{b.institution};{b.role};{b.token}" for b in people(9)
    ]
    roster.write_bytes("\r\n".join(lines).encode("cp1250"))
    out = tmp_path / "sheets.pdf"
    result = CliRunner().invoke(
        badge_group,
        [
            "sheets",
            "--roster",
            str(roster),
            "--out",
            str(out),
            "--event-name",
            "Kongres",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "9 badges on 2 pages" in result.output
    assert read_roster(roster)[0].name == "Zażółć Gęślą-Jaźń 0"
    assert read_roster(roster, "Kongres")[0].event_name == "Kongres"


def test_cli_sheets_names_the_bad_row(tmp_path: Path) -> None:
    roster = tmp_path / "roster.json"
    roster.write_text('[{"name": "Ewa", "token": "AB"}, {"name": "Jan"}]', encoding="utf-8")
    result = CliRunner().invoke(
        badge_group, ["sheets", "--roster", str(roster), "--out", str(tmp_path / "x.pdf")]
    )
    assert result.exit_code != 0 and "row 3" in result.output


def test_cli_invitation_png_and_pdf(tmp_path: Path) -> None:
    for name in ("inv.png", "inv.pdf"):
        result = CliRunner().invoke(
            badge_group,
            [
                "invitation",
                "--name",
                "Małgorzata Wiśniewska",
                "--token",
                TOKEN,
                "--event-name",
                "Kongres",
                "--out",
                str(tmp_path / name),
            ],
        )
        assert result.exit_code == 0, result.output
    assert (tmp_path / "inv.pdf").read_bytes().startswith(b"%PDF")
    png = Image.open(tmp_path / "inv.png")
    assert [r.text for r in zxingcpp.read_barcodes(png.convert("L"))] == [TOKEN]


BADGE_ARGS = ["--name", "Ewa Żak", "--token", TOKEN]


def roster_file(folder: Path, role: str = "speaker") -> Path:
    roster = folder / "roster.json"
    roster.write_text(f'[{{"name": "Ewa", "token": "{TOKEN}", "role": "{role}"}}]')
    return roster


@pytest.mark.parametrize(
    "command",
    [
        lambda tmp, out: ["render", *BADGE_ARGS, "--out", str(out.with_suffix(".png"))],
        lambda tmp, out: ["invitation", *BADGE_ARGS, "--out", str(out.with_suffix(".png"))],
        lambda tmp, out: ["invitation", *BADGE_ARGS, "--out", str(out.with_suffix(".pdf"))],
        lambda tmp, out: ["sheets", "--roster", str(roster_file(tmp)), "--out", str(out)],
    ],
    ids=["render", "invitation-png", "invitation-pdf", "sheets"],
)
def test_cli_says_when_it_cannot_write_the_file(
    tmp_path: Path, command: Callable[[Path, Path], list[str]]
) -> None:
    out = tmp_path / "no-such-folder" / "badge.pdf"
    args = command(tmp_path, out)
    result = CliRunner().invoke(badge_group, args)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)  # a message, not a traceback
    assert f"Error: cannot write {args[-1]}: No such file or directory" in result.output


def test_cli_names_a_missing_font(tmp_path: Path) -> None:
    settings = load_settings(None, {"BRAMKA_BADGE__FONT_PATH": str(tmp_path / "none.ttf")})
    for args in (
        ["render", *BADGE_ARGS, "--out", str(tmp_path / "b.png")],
        ["invitation", *BADGE_ARGS, "--out", str(tmp_path / "i.pdf")],
    ):
        result = CliRunner().invoke(badge_group, args, obj=settings)
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), args
        assert "no such font file" in result.output


def test_cli_names_an_unknown_role_in_the_roster(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        badge_group,
        ["sheets", "--roster", str(roster_file(tmp_path, "bogus")), "--out", str(tmp_path / "s")],
    )
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "unknown role 'bogus'" in result.output


def _template_file(tmp_path: Path) -> tuple[Path, bytes]:
    import io
    import json

    from sync.badge_template import BadgeTemplate, check_image, export_document

    buffer = io.BytesIO()
    Image.new("RGB", (400, 100), (0, 0, 0)).save(buffer, format="PNG")
    logo = buffer.getvalue()
    ref = check_image(logo)
    template = BadgeTemplate(width_mm=90, height_mm=55, font="DejaVu Serif", logo=ref,
                             fields=("logo", "name", "role", "qr"),
                             role_colours={"speaker": "#0055aa"}, logo_height_mm=8)
    path = tmp_path / "badge-template.json"
    path.write_text(json.dumps(export_document(template, {ref.sha256: logo})))
    return path, logo


def test_cli_sheets_follow_the_admins_template(tmp_path: Path) -> None:
    template, _ = _template_file(tmp_path)
    roster = tmp_path / "roster.csv"
    badges = people(12)
    roster.write_text("\n".join(["name;institution;role;token"] + [
        f"{b.name};{b.institution};{b.role};{b.token}" for b in badges]), encoding="utf-8")
    out = tmp_path / "sheets.pdf"
    result = CliRunner().invoke(badge_group, ["sheets", "--roster", str(roster), "--out",
                                              str(out), "--template", str(template)])
    assert result.exit_code == 0, result.output
    assert "12 badges on 2 pages" in result.output  # 90 x 55 mm: 2 x 5 a page
    data = out.read_bytes()
    assert b"DejaVuSerif" in data
    first, second = rasterize(out)
    second.close()
    found = sorted(r.text for r in zxingcpp.read_barcodes(first.convert("L")))
    assert found == sorted(b.token for b in badges[:10])
    # speakers' bands in the template's blue (grey through pnggray: not black, not white)
    grey = __import__("numpy").asarray(first)
    speaker_cell = grey[: int(55 / 25.4 * 200), int(90 / 25.4 * 200): int(180 / 25.4 * 200)]
    assert ((speaker_cell > 40) & (speaker_cell < 120)).sum() > 2000
    # and the logo, solid black, at the top of the first cell
    assert (grey[int(6 / 25.4 * 200): int(12 / 25.4 * 200), 300:400] < 40).all(axis=1).any()


def test_cli_sheets_refuse_a_template_file_missing_its_image(tmp_path: Path) -> None:
    import json

    template, _ = _template_file(tmp_path)
    document = json.loads(template.read_text())
    document["images"] = {}
    template.write_text(json.dumps(document))
    roster = tmp_path / "roster.json"
    roster.write_text(json.dumps([{"name": "Ewa", "token": TOKEN}]), encoding="utf-8")
    result = CliRunner().invoke(badge_group, ["sheets", "--roster", str(roster), "--out",
                                              str(tmp_path / "s.pdf"), "--template",
                                              str(template)])
    assert result.exit_code != 0
    assert "missing from the template file" in result.output
