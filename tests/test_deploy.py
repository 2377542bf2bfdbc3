"""The Raspberry Pi deployment files (deploy/): systemd units, the udev rule, the scripts.

What is checked here, and what is not:

- Each unit is parsed (sections, required keys, ExecStart, User, Restart) and, where
  ``systemd-analyze`` exists, run through ``systemd-analyze verify``. verify reads the
  files as systemd would and reports unknown keys and unparsable values; its only
  complaint we accept is that the programs in ExecStart (/opt/bramka/...) do not exist
  on the test machine. It does not run anything, so it cannot tell whether the camera
  or printer work under the hardening options; the test only asserts the options known
  to hide devices are absent.
- The udev rule is checked by a small parser (match keys with ==/!=, assignments with
  =/+=/:=, known keys, lowercase hex ids, mode and group); systemd 252 has no
  ``udevadm verify``. No rule is applied to a real device.
- install-pi.sh: ``bash -n``, shellcheck when installed, and a run in a staging root
  (BRAMKA_ROOT) with ``python3`` replaced by a recorder: files, modes, remembered
  options, a second run that changes nothing, and ``systemctl --root enable`` (the real
  one when present). Packages, users and services of this machine are not touched.
- deploy/kiosk.toml and admin.toml load with Bramka's settings loader.
"""

from __future__ import annotations

import configparser
import hashlib
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from support import require_tool

from bramka.config import load_settings

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
RULES = DEPLOY / "udev" / "60-bramka-printer.rules"
INSTALL = DEPLOY / "install-pi.sh"
SCREEN = DEPLOY / "bin" / "bramka-screen"
HELPER = DEPLOY / "bin" / "bramka"
BRAMKA = "/opt/bramka/.venv/bin/bramka"


def read_unit(path: Path) -> configparser.RawConfigParser:
    """A unit file as systemd reads it: repeated keys allowed (the last wins here)."""
    parser = configparser.RawConfigParser(strict=False, interpolation=None,
                                          comment_prefixes=("#", ";"), delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser


def test_the_expected_units_are_there() -> None:
    assert [u.name for u in UNITS] == [
        "bramka-admin.service", "bramka-kiosk-browser.service", "bramka-kiosk.service"]


@pytest.mark.parametrize("path", UNITS, ids=[u.name for u in UNITS])
def test_unit_structure(path: Path) -> None:
    unit = read_unit(path)
    assert unit.sections() == ["Unit", "Service", "Install"], path.name
    assert unit["Unit"]["Description"]
    service = unit["Service"]
    assert service["Type"] == "simple"
    assert service["Restart"] == "always"
    assert float(service["RestartSec"]) > 0
    assert unit["Unit"]["StartLimitIntervalSec"] == "0"  # never gives up restarting
    assert service["User"] and service["User"] != "root"
    exec_start = service["ExecStart"].split()
    assert exec_start[0].startswith("/opt/bramka/"), exec_start
    assert unit["Install"]["WantedBy"] in ("multi-user.target", "graphical.target")


def test_kiosk_unit() -> None:
    unit = read_unit(DEPLOY / "systemd" / "bramka-kiosk.service")
    u, s = unit["Unit"], unit["Service"]
    assert s["ExecStart"] == f"{BRAMKA} kiosk --config /etc/bramka/kiosk.toml serve"
    assert (s["User"], s["Group"]) == ("bramka", "bramka")
    assert set(s["SupplementaryGroups"].split()) == {"video", "lp"}
    assert s["WorkingDirectory"] == "/var/lib/bramka"
    assert s["StateDirectory"] == "bramka"
    assert s["EnvironmentFile"].lstrip("-") == "/etc/bramka/kiosk.env"
    # Ordered after the network, never requiring it: the kiosk works offline.
    assert "network.target" in u["After"].split()
    for key in ("Requires", "Wants", "BindsTo", "Requisite"):
        assert "network" not in u.get(key, ""), key
    assert "network-online.target" not in u["After"]
    # Hardening that is on...
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict",
                       "ProtectHome": "yes", "PrivateTmp": "yes"}.items():
        assert s[key] == value, key
    # ...and what must stay off: each hides devices the camera or the USB printer need,
    # or /proc/sys/kernel/random/boot_id that the scan clock correction reads.
    assert s.get("PrivateDevices", "no") == "no"
    assert s.get("ProtectClock", "no") == "no"  # implies DeviceAllow=char-rtc (systemd 252)
    for key in ("DevicePolicy", "DeviceAllow", "ProcSubset", "ProtectKernelLogs"):
        assert key not in s, key
    # ProtectSystem=strict leaves only the state directory writable: the database is there.
    settings = load_settings(DEPLOY / "kiosk.toml", {})
    assert str(settings.kiosk.data_dir).startswith("/var/lib/bramka/")


def test_browser_unit() -> None:
    unit = read_unit(DEPLOY / "systemd" / "bramka-kiosk-browser.service")
    u, s = unit["Unit"], unit["Service"]
    assert "bramka-kiosk.service" in u["After"].split()
    assert "bramka-kiosk.service" in u["Wants"].split()
    assert "graphical.target" in u["After"].split()
    assert s["ExecStart"] == "/opt/bramka/bin/bramka-screen"
    assert unit["Install"]["WantedBy"] == "graphical.target"
    script = SCREEN.read_text(encoding="utf-8")
    for flag in ("--kiosk", "--noerrdialogs", "--disable-session-crashed-bubble", "--incognito",
                 "--check-for-update-interval=", "--autoplay-policy=no-user-gesture-required"):
        assert flag in script, flag
    assert "chromium-browser" in script and "for candidate in chromium " in script
    assert "http://127.0.0.1:8080/" in script  # the kiosk's default host and port
    assert os.access(SCREEN, os.X_OK)


def test_admin_unit() -> None:
    unit = read_unit(DEPLOY / "systemd" / "bramka-admin.service")
    s = unit["Service"]
    assert s["ExecStart"] == f"{BRAMKA} admin --config /etc/bramka/admin.toml serve"
    assert s["User"] == "bramka"
    assert s["EnvironmentFile"].lstrip("-") == "/etc/bramka/admin.env"
    settings = load_settings(DEPLOY / "admin.toml", {})
    assert str(settings.admin.data_dir).startswith("/var/lib/bramka/")
    assert settings.admin.database_url.startswith("sqlite:////var/lib/bramka/")


# The one complaint of systemd-analyze verify we accept: a program the units run (ours, or
# Raspberry Pi OS's libcamerify) is not installed on the test machine. Anything else
# (unknown key, bad value, missing section) fails.
MISSING_PROGRAM = re.compile(
    r"^(?P<unit>[\w@.-]+): Command (?P<path>/opt/bramka/\S+|/usr/bin/libcamerify) "
    r"is not executable: No such file or directory$")


def test_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = require_tool("systemd-analyze", "systemd")
    # The units plus the drop-in install-pi.sh writes for --camera libcamerify.
    for unit in UNITS:
        shutil.copy(unit, tmp_path / unit.name)
    dropin = tmp_path / "bramka-kiosk.service.d"
    dropin.mkdir()
    (dropin / "20-libcamerify.conf").write_text(
        "[Service]\nExecStart=\nExecStart=/usr/bin/libcamerify "
        f"{BRAMKA} kiosk --config /etc/bramka/kiosk.toml serve\n", encoding="utf-8")
    for unit in UNITS:
        done = subprocess.run(
            [analyze, "verify", "--man=no", str(tmp_path / unit.name)],
            capture_output=True, text=True, timeout=60, check=False)
        lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
        unexpected = []
        for line in lines:
            m = MISSING_PROGRAM.match(line)
            if not (m and not Path(m["path"]).exists()):
                unexpected.append(line)
        assert not unexpected, f"systemd-analyze verify {unit.name}:\n" + "\n".join(lines)
        if done.returncode != 0:
            assert lines, f"verify failed without saying why: {done.returncode}"


def test_systemd_analyze_verify_catches_mistakes(tmp_path: Path) -> None:
    """The check above would see a misspelt key or a bad value (it is not a no-op)."""
    text = (DEPLOY / "systemd" / "bramka-kiosk.service").read_text(encoding="utf-8")
    bad = tmp_path / "bramka-kiosk.service"
    bad.write_text(text.replace("Restart=always", "Restat=always")
                   .replace("ProtectSystem=strict", "ProtectSystem=very"), encoding="utf-8")
    done = subprocess.run([require_tool("systemd-analyze", "systemd"), "verify", "--man=no",
                           str(bad)],
                          capture_output=True, text=True, timeout=60, check=False)
    out = done.stdout + done.stderr
    assert "Unknown key 'Restat'" in out or "Unknown key name 'Restat'" in out, out
    assert "ProtectSystem" in out or "protect system" in out, out


# -- udev ----------------------------------------------------------------------------------------

MATCH_KEYS = {"ACTION", "DEVPATH", "KERNEL", "KERNELS", "NAME", "SYMLINK", "SUBSYSTEM",
              "SUBSYSTEMS", "DRIVER", "DRIVERS", "ATTR", "ATTRS", "SYSCTL", "ENV", "CONST",
              "TAG", "TAGS", "TEST", "PROGRAM", "RESULT"}
ASSIGN_KEYS = {"NAME", "SYMLINK", "OWNER", "GROUP", "MODE", "TAG", "ENV", "RUN", "LABEL", "GOTO",
               "IMPORT", "OPTIONS", "SECLABEL", "ATTR", "SYSCTL", "WAIT_FOR"}
WITH_ATTRIBUTE = {"ATTR", "ATTRS", "SYSCTL", "ENV", "CONST", "TEST", "RUN", "IMPORT", "SECLABEL"}
PAIR = re.compile(r'\s*(?P<key>[A-Z_]+)(?:\{(?P<attr>[^}]+)\})?\s*(?P<op>==|!=|\+=|-=|:=|=)\s*'
                  r'"(?P<value>[^"]*)"\s*(?:,|$)')


def parse_udev_line(line: str) -> list[tuple[str, str | None, str, str]]:
    """One rule as (key, attribute, operator, value); AssertionError when malformed."""
    pairs: list[tuple[str, str | None, str, str]] = []
    pos = 0
    while pos < len(line):
        m = PAIR.match(line, pos)
        assert m, f"cannot parse at column {pos}: {line[pos:]!r}"
        key, attr, op = m["key"], m["attr"], m["op"]
        if op in ("==", "!="):
            assert key in MATCH_KEYS, f"{key} is not a match key"
        else:
            assert key in ASSIGN_KEYS, f"{key} cannot be assigned"
        assert (attr is not None) == (key in WITH_ATTRIBUTE) or key in ("RUN", "TEST",
                                                                          "IMPORT"), key
        pairs.append((key, attr, op, m["value"]))
        pos = m.end()
    return pairs


def udev_rules() -> list[list[tuple[str, str | None, str, str]]]:
    rules = []
    for number, raw in enumerate(RULES.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        assert not line.endswith("\\"), f"line {number}: no continuation lines, please"
        try:
            rules.append(parse_udev_line(line))
        except AssertionError as exc:
            raise AssertionError(f"{RULES.name}:{number}: {exc}") from None
    return rules


def test_udev_rule_syntax_and_meaning() -> None:
    rules = udev_rules()
    assert rules
    vendors: set[tuple[str, str | None]] = set()
    for rule in rules:
        matches = {(k, a): v for k, a, op, v in rule if op == "=="}
        assigned = {k: v for k, a, op, v in rule if op == "="}
        assert matches[("SUBSYSTEM", None)] == "usb"
        assert matches[("ENV", "DEVTYPE")] == "usb_device"  # the device node, not interfaces
        assert assigned == {"MODE": "0660", "GROUP": "lp"}, assigned
        vendor = matches.get(("ATTR", "idVendor"))
        product = matches.get(("ATTR", "idProduct"))
        for value in (vendor, product):
            # sysfs reports lowercase hex: "04B8" would never match.
            assert value is None or re.fullmatch(r"[0-9a-f]{4}", value), value
        if vendor:
            vendors.add((vendor, product))
        else:
            assert matches.get(("ENV", "ID_USB_INTERFACES")) == "*:0701??:*"
    assert {("0416", "5011"), ("04b8", None), ("0519", None), ("28e9", None), ("1fc9", None),
            ("0fe6", None)} <= vendors
    # Bramka's default USB printer ids are covered.
    printer = load_settings(None, {}).printer
    assert (f"{printer.usb_vendor:04x}", f"{printer.usb_product:04x}") in vendors


def test_udev_parser_refuses_mistakes() -> None:
    with pytest.raises(AssertionError):
        parse_udev_line('SUBSYSTEM="usb", MODE="0660"')  # assignment to a match-only key
    with pytest.raises(AssertionError):
        parse_udev_line('SUBSYSTEM=="usb" MODE="0660"')  # missing comma
    with pytest.raises(AssertionError):
        parse_udev_line('SUBSYSTEM=="usb", GRUOP="lp"')
    assert parse_udev_line('ATTR{idVendor}=="04b8", GROUP="lp"') == [
        ("ATTR", "idVendor", "==", "04b8"), ("GROUP", None, "=", "lp")]


@pytest.mark.skipif(shutil.which("udevadm") is None, reason="udevadm is not installed")
def test_udevadm_verify_when_available() -> None:
    """``udevadm verify`` exists from systemd 254 on; older udevadm has no such command."""
    help_text = subprocess.run(["udevadm", "--help"], capture_output=True, text=True,
                               check=False, timeout=30).stdout
    if not re.search(r"^\s+verify\b", help_text, re.MULTILINE):
        pytest.skip("this udevadm has no 'verify' (systemd < 254); the parser above checks")
    done = subprocess.run(["udevadm", "verify", str(RULES)], capture_output=True, text=True,
                          check=False, timeout=30)
    assert done.returncode == 0, done.stdout + done.stderr


# -- scripts -------------------------------------------------------------------------------------

SCRIPTS = [INSTALL, SCREEN, HELPER]


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_scripts_parse(script: Path) -> None:
    done = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True,
                          check=False, timeout=30)
    assert done.returncode == 0, done.stderr
    assert script.read_text(encoding="utf-8").startswith("#!/usr/bin/env bash\n")
    assert os.access(script, os.X_OK)


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_scripts_pass_shellcheck(script: Path) -> None:
    shellcheck = require_tool("shellcheck", "shellcheck")
    done = subprocess.run([shellcheck, str(script)], capture_output=True, text=True,
                          check=False, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


FAKE_PYTHON3 = """#!/bin/sh
# Stands in for `python3 -m venv [...] DIR` and the venv's pip: records, installs nothing.
echo "python3 $*" >> "$STUB_LOG"
for last; do :; done
mkdir -p "$last/bin"
printf '#!/bin/sh\\necho "venv-python $*" >> "$STUB_LOG"\\n' > "$last/bin/python"
chmod +x "$last/bin/python"
"""


def run_install(stage: Path, stubs: Path, log: Path, *args: str) -> str:
    env = {**os.environ, "BRAMKA_ROOT": str(stage), "STUB_LOG": str(log),
           "PATH": f"{stubs}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("SUDO_USER", None)
    done = subprocess.run(["bash", str(INSTALL), *args], capture_output=True, text=True,
                          env=env, check=False, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stderr


def snapshot(stage: Path) -> dict[str, str]:
    return {str(p.relative_to(stage)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(stage.rglob("*")) if p.is_file() and ".venv" not in p.parts}


@pytest.fixture
def staging(tmp_path: Path) -> tuple[Path, Path, Path]:
    stage, stubs, log = tmp_path / "root", tmp_path / "stubs", tmp_path / "calls.log"
    stubs.mkdir()
    (stubs / "python3").write_text(FAKE_PYTHON3, encoding="utf-8")
    (stubs / "python3").chmod(0o755)
    if shutil.which("systemctl") is None:  # then record `systemctl --root=... enable ...`
        (stubs / "systemctl").write_text('#!/bin/sh\necho "systemctl $*" >> "$STUB_LOG"\n',
                                         encoding="utf-8")
        (stubs / "systemctl").chmod(0o755)
    return stage, stubs, log


def test_install_script_in_a_staging_root(staging: tuple[Path, Path, Path]) -> None:
    stage, stubs, log = staging
    out = run_install(stage, stubs, log, "--screen-user", "alice", "--admin",
                      "--camera", "libcamerify")
    etc, units = stage / "etc/bramka", stage / "etc/systemd/system"
    # Settings: the template, a fresh PIN readable by root and bramka only.
    assert (etc / "kiosk.toml").read_text() == (DEPLOY / "kiosk.toml").read_text()
    pin = re.search(r"^BRAMKA_KIOSK__STAFF_PIN=(\d{6})$", (etc / "kiosk.env").read_text(), re.M)
    assert pin and pin[1] in out
    assert stat.S_IMODE((etc / "kiosk.env").stat().st_mode) == 0o640
    assert stat.S_IMODE((etc / "admin.env").stat().st_mode) == 0o640
    assert re.search(r"^BRAMKA_ADMIN__SECRET_KEY=[0-9a-f]{64}$", (etc / "admin.env").read_text(),
                     re.M)
    load_settings(etc / "kiosk.toml", {})  # still valid settings
    # Units, drop-ins and the udev rule, as in the repository.
    for name in ("bramka-kiosk.service", "bramka-kiosk-browser.service", "bramka-admin.service"):
        assert (units / name).read_bytes() == (DEPLOY / "systemd" / name).read_bytes()
    assert "User=alice" in (units / "bramka-kiosk-browser.service.d/10-user.conf").read_text()
    libcamerify = (units / "bramka-kiosk.service.d/20-libcamerify.conf").read_text()
    assert f"ExecStart=\nExecStart=/usr/bin/libcamerify {BRAMKA} kiosk" in libcamerify
    assert (stage / "etc/udev/rules.d/60-bramka-printer.rules").read_bytes() == RULES.read_bytes()
    assert os.access(stage / "opt/bramka/bin/bramka-screen", os.X_OK)
    assert (stage / "usr/local/bin/bramka").read_bytes() == HELPER.read_bytes()
    assert os.access(stage / "usr/local/bin/bramka", os.X_OK)
    assert (stage / "opt/bramka/share/doc/raspberry-pi.md").exists()
    for d in ("var/lib/bramka", "var/lib/bramka/kiosk", "var/lib/bramka/admin", "etc/bramka"):
        assert stat.S_IMODE((stage / d).stat().st_mode) == 0o750, d
    # The code: a venv, then pip with the printer and admin extras from this checkout.
    calls = log.read_text().splitlines()
    assert f"python3 -m venv {stage}/opt/bramka/.venv" in calls
    assert any(c.startswith("venv-python -m pip install") and c.endswith(f"{ROOT}[printers,admin]")
               for c in calls), calls
    # Enabled into the right targets.
    if shutil.which("systemctl"):
        assert (units / "multi-user.target.wants/bramka-kiosk.service").is_symlink()
        assert (units / "multi-user.target.wants/bramka-admin.service").is_symlink()
        assert (units / "graphical.target.wants/bramka-kiosk-browser.service").is_symlink()

    # Again, with no options: the remembered ones, nothing changed, the PIN kept.
    before = snapshot(stage)
    out = run_install(stage, stubs, log)
    assert snapshot(stage) == before
    assert "staff PIN" not in out

    # Changing the camera and dropping the screen and the admin converges.
    (etc / "kiosk.toml").write_text("[kiosk]\nid = \"mine\"\n", encoding="utf-8")
    out = run_install(stage, stubs, log, "--camera", "picamera", "--no-screen", "--no-admin")
    assert (etc / "kiosk.toml").read_text() == "[kiosk]\nid = \"mine\"\n"  # never overwritten
    assert 'source = "picamera"' in out  # ...but the mismatch is pointed out
    assert not (units / "bramka-kiosk.service.d/20-libcamerify.conf").exists()
    assert not (units / "bramka-kiosk-browser.service").exists()
    assert not (units / "bramka-admin.service").exists()
    assert not (units / "graphical.target.wants/bramka-kiosk-browser.service").exists()
    assert (stage / "opt/bramka/constraints.txt").read_text() == "numpy<2\n"
    calls = log.read_text().splitlines()
    assert f"python3 -m venv --system-site-packages {stage}/opt/bramka/.venv" in calls
    assert calls[-1].endswith(f"-c {stage}/opt/bramka/constraints.txt {ROOT}[printers]")
    assert (stage / "var/lib/bramka/admin").is_dir()  # data stays


def test_install_script_refuses_bad_options(staging: tuple[Path, Path, Path]) -> None:
    stage, stubs, log = staging
    env = {**os.environ, "BRAMKA_ROOT": str(stage), "STUB_LOG": str(log),
           "PATH": f"{stubs}{os.pathsep}{os.environ.get('PATH', '')}"}
    for args in (["--camera", "webcam"], ["--frobnicate"]):
        done = subprocess.run(["bash", str(INSTALL), *args], capture_output=True, text=True,
                              env=env, check=False, timeout=60)
        assert done.returncode != 0 and "install-pi.sh:" in done.stderr, args
    assert not stage.exists()


def test_templates_are_valid_settings() -> None:
    kiosk = load_settings(DEPLOY / "kiosk.toml", {})
    assert kiosk.camera.source == "device" and kiosk.printer.backend == "usb"
    assert kiosk.kiosk.host == "127.0.0.1"
    admin = load_settings(DEPLOY / "admin.toml", {})
    assert admin.admin.host == "0.0.0.0"


def run_screen(tmp_path: Path, url: str, wayland: bool) -> subprocess.CompletedProcess[str]:
    """bramka-screen with a recording "chromium-browser" and a runtime dir of our own."""
    import socket

    bin_dir, runtime = tmp_path / "bin", tmp_path / "run"
    bin_dir.mkdir(exist_ok=True)
    runtime.mkdir(exist_ok=True)
    fake = bin_dir / "chromium-browser"
    fake.write_text('#!/bin/sh\nprintf "%s\\n" "WAYLAND_DISPLAY=$WAYLAND_DISPLAY" "$@"\n',
                    encoding="utf-8")
    fake.chmod(0o755)
    sockets = []
    if wayland:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(str(runtime / "wayland-1"))
        sockets.append(sock)
    # A PATH with the few tools the script uses and no real browser (this machine's
    # chromium would be found first): the older Raspberry Pi OS name is the only one.
    for tool in ("id", "mkdir", "sleep"):
        found = shutil.which(tool)
        assert found, tool
        if not (bin_dir / tool).exists():
            (bin_dir / tool).symlink_to(found)
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path), "XDG_RUNTIME_DIR": str(runtime),
           "BRAMKA_SCREEN_URL": url, "BRAMKA_SCREEN_WAIT_SECONDS": "1"}
    try:
        return subprocess.run([shutil.which("bash") or "/bin/bash", str(SCREEN)],
                              capture_output=True, text=True, env=env, check=False, timeout=30)
    finally:
        for sock in sockets:
            sock.close()


def test_screen_waits_for_the_page_then_starts_chromium(tmp_path: Path) -> None:
    import socket

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        url = f"http://127.0.0.1:{server.getsockname()[1]}/"
        done = run_screen(tmp_path, url, wayland=True)
    assert done.returncode == 0, done.stderr
    args = done.stdout.splitlines()
    assert args[0] == "WAYLAND_DISPLAY=wayland-1"
    assert args[-1] == url
    for flag in ("--kiosk", "--noerrdialogs", "--disable-session-crashed-bubble", "--incognito",
                 "--autoplay-policy=no-user-gesture-required",
                 f"--user-data-dir={tmp_path}/run/bramka-chromium"):
        assert flag in args, flag
    assert any(a.startswith("--check-for-update-interval=") for a in args)


def test_screen_gives_up_without_a_desktop_or_page(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = run_screen(tmp_path, f"http://127.0.0.1:{port}/", wayland=False)
    assert done.returncode == 1
    assert "does not answer" in done.stderr
