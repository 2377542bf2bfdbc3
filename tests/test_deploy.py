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
- install-pi.sh: ``bash -n``, shellcheck when installed, and runs in a staging root
  (BRAMKA_ROOT) from a git clone made per test, with ``python3`` replaced by a recorder,
  a fake ``dpkg --print-architecture`` (FAKE_ARCH), an os-release per Debian release, and
  for "Raspberry Pi OS with desktop" the stage's own lightdm, labwc, system labwc
  autostart and a ``raspi-config`` that records the SUDO_USER it was given and can fail
  as on Lite. Checked: files, modes, remembered options, a second run that changes
  nothing, ``systemctl --root enable`` (the real one when present), the build from
  ``git archive`` with the clone left byte for byte as it was, pins per release, the
  architecture and Lite checks, raspi-config acting for the screen user and never
  ending the install, and the screen user's labwc autostart (Chromium in the session,
  no blanking). Packages, users and services of this machine are not touched.
- check-arm64.sh: parse, shellcheck and its options only; the run itself (debootstrap
  and qemu, minutes) is by hand, its results in the README.
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
from dataclasses import dataclass
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
    # No system unit for the screen: Chromium starts in the desktop user's labwc session
    # (the autostart install-pi.sh writes, tested below).
    assert [u.name for u in UNITS] == ["bramka-admin.service", "bramka-kiosk.service"]


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


def test_screen_script_flags() -> None:
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

CHECK_ARM64 = DEPLOY / "check-arm64.sh"
SCRIPTS = [INSTALL, SCREEN, HELPER, CHECK_ARM64]


def test_check_arm64_options() -> None:
    """The arm64 check itself runs by hand (minutes under qemu: README, "Checked on arm64");
    here only that it reads its options and refuses wrong ones before touching anything."""
    usage = subprocess.run(["bash", str(CHECK_ARM64), "--help"], capture_output=True,
                           text=True, check=False, timeout=30)
    assert usage.returncode == 0
    for word in ("--suite", "trixie", "bookworm", "cortex-a72", "cortex-a76", "debootstrap"):
        assert word in usage.stdout, word
    for args, message in ((["--suite", "buster"], "--suite must be trixie or bookworm"),
                          (["--cpu", "cortex-a53"], "--cpu must be cortex-a72 or cortex-a76"),
                          (["--frobnicate"], "unknown option")):
        done = subprocess.run(["bash", str(CHECK_ARM64), *args], capture_output=True,
                              text=True, check=False, timeout=30)
        assert done.returncode != 0 and message in done.stderr, (args, done.stderr)


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
# `dpkg --print-architecture` as a Pi would answer it (FAKE_ARCH).
FAKE_DPKG = """#!/bin/sh
echo "dpkg $*" >> "$STUB_LOG"
if [ "$1" = --print-architecture ]; then echo "$FAKE_ARCH"; exit 0; fi
exit 2
"""
# raspi-config as the stage's own usr/bin/raspi-config: records who it would act for
# (raspi-config takes the user from SUDO_USER) and what; FAKE_RASPI_FAIL makes one
# function fail as on Raspberry Pi OS Lite (do_boot_behaviour without lightdm: exit 1).
FAKE_RASPI_CONFIG = """#!/bin/sh
echo "raspi-config SUDO_USER=${SUDO_USER:-} $*" >> "$STUB_LOG"
case "$*" in *"${FAKE_RASPI_FAIL:-none}"*) echo "raspi-config: failed" >&2; exit 1 ;; esac
exit 0
"""
SYSTEM_AUTOSTART = """/usr/bin/lwrespawn /usr/bin/pcmanfm --desktop --profile LXDE-pi &
/usr/bin/lwrespawn /usr/bin/wf-panel-pi &
/usr/bin/kanshi &
swayidle -w timeout 600 'wlopm --off \\\\*' resume 'wlopm --on \\\\*' &
"""
OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux {n}"\nVERSION_CODENAME={codename}\nID=debian\n'

# What the installer takes from its checkout (a git clone of it is made per test).
SOURCE_FILES = ["deploy", "config.toml", "docs/raspberry-pi.md", "pyproject.toml", "README.md"]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c",
                           "user.email=t@localhost", *args], capture_output=True, text=True,
                          check=True, timeout=60).stdout


@dataclass
class Staging:
    stage: Path  # BRAMKA_ROOT
    stubs: Path  # on PATH first
    log: Path  # what the fakes were asked
    clone: Path  # the user's clone the installer runs from
    env: dict[str, str]

    @property
    def script(self) -> Path:
        return self.clone / "deploy" / "install-pi.sh"

    def run(self, *args: str, ok: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(["bash", str(self.script), *args], capture_output=True,
                              text=True, env={**self.env, **env}, check=False, timeout=120)
        if ok:
            assert done.returncode == 0, done.stdout + done.stderr
        return done

    def calls(self, prefix: str = "") -> list[str]:
        if not self.log.exists():
            return []
        return [c for c in self.log.read_text().splitlines() if c.startswith(prefix)]

    def desktop(self, codename: str = "trixie", labwc_session: bool = True) -> None:
        """The stage is Raspberry Pi OS with desktop: lightdm, labwc, raspi-config."""
        for name in ("usr/sbin/lightdm", "usr/bin/labwc"):
            (self.stage / name).parent.mkdir(parents=True, exist_ok=True)
            (self.stage / name).write_text("#!/bin/sh\n")
        xdg = self.stage / "etc/xdg/labwc/autostart"
        xdg.parent.mkdir(parents=True, exist_ok=True)
        xdg.write_text(SYSTEM_AUTOSTART)
        lightdm = self.stage / "etc/lightdm/lightdm.conf"
        lightdm.parent.mkdir(parents=True, exist_ok=True)
        session = "LXDE-pi-labwc" if labwc_session else "LXDE-pi-x"
        lightdm.write_text(f"[Seat:*]\nuser-session={session}\nautologin-session={session}\n")
        raspi = self.stage / "usr/bin/raspi-config"
        raspi.write_text(FAKE_RASPI_CONFIG)
        raspi.chmod(0o755)
        self.os(codename)

    def os(self, codename: str) -> None:
        release = self.stage / "etc/os-release"
        release.parent.mkdir(parents=True, exist_ok=True)
        release.write_text(OS_RELEASE.format(n={"bookworm": 12, "trixie": 13}.get(codename, 0),
                                             codename=codename))


def tree(path: Path) -> dict[str, str]:
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file()}


def snapshot(stage: Path) -> dict[str, str]:
    return {k: v for k, v in tree(stage).items() if ".venv" not in Path(k).parts}


@pytest.fixture
def staging(tmp_path: Path) -> Staging:
    require_tool("git", "git")
    stage, stubs, log, clone = (tmp_path / "root", tmp_path / "stubs", tmp_path / "calls.log",
                                tmp_path / "home/pi/bramka")
    stubs.mkdir()
    for name, text in (("python3", FAKE_PYTHON3), ("dpkg", FAKE_DPKG)):
        (stubs / name).write_text(text, encoding="utf-8")
        (stubs / name).chmod(0o755)
    if shutil.which("systemctl") is None:  # then record `systemctl --root=... enable ...`
        (stubs / "systemctl").write_text('#!/bin/sh\necho "systemctl $*" >> "$STUB_LOG"\n',
                                         encoding="utf-8")
        (stubs / "systemctl").chmod(0o755)
    clone.mkdir(parents=True)
    for name in SOURCE_FILES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, clone / name)
        else:
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, clone / name)
    git(clone, "init", "-q")
    git(clone, "add", "-A")
    git(clone, "commit", "-q", "-m", "the user's clone")
    env = {**os.environ, "BRAMKA_ROOT": str(stage), "STUB_LOG": str(log), "FAKE_ARCH": "arm64",
           "PATH": f"{stubs}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("SUDO_USER", None)
    env.pop("FAKE_RASPI_FAIL", None)
    staged = Staging(stage, stubs, log, clone, env)
    staged.os("trixie")
    return staged


def enabled(staged: Staging, target: str, unit: str) -> bool:
    if shutil.which("systemctl"):
        return (staged.stage / f"etc/systemd/system/{target}.wants/{unit}").is_symlink()
    return any(unit in c and "enable" in c for c in staged.calls("systemctl"))


def test_install_script_in_a_staging_root(staging: Staging) -> None:
    stage, log = staging.stage, staging.log
    staging.desktop()
    out = staging.run("--screen-user", "alice", "--admin", "--camera", "libcamerify").stderr
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
    for name in ("bramka-kiosk.service", "bramka-admin.service"):
        assert (units / name).read_bytes() == (DEPLOY / "systemd" / name).read_bytes()
    assert not (units / "bramka-kiosk-browser.service").exists()
    libcamerify = (units / "bramka-kiosk.service.d/20-libcamerify.conf").read_text()
    assert f"ExecStart=\nExecStart=/usr/bin/libcamerify {BRAMKA} kiosk" in libcamerify
    assert (stage / "etc/udev/rules.d/60-bramka-printer.rules").read_bytes() == RULES.read_bytes()
    assert os.access(stage / "opt/bramka/bin/bramka-screen", os.X_OK)
    assert (stage / "usr/local/bin/bramka").read_bytes() == HELPER.read_bytes()
    assert os.access(stage / "usr/local/bin/bramka", os.X_OK)
    assert (stage / "opt/bramka/share/doc/raspberry-pi.md").exists()
    for d in ("var/lib/bramka", "var/lib/bramka/kiosk", "var/lib/bramka/admin", "etc/bramka"):
        assert stat.S_IMODE((stage / d).stat().st_mode) == 0o750, d
    # The code: a venv, then pip with the printer and admin extras from a clean copy.
    calls = staging.calls()
    assert f"python3 -m venv {stage}/opt/bramka/.venv" in calls
    assert any(c.startswith("venv-python -m pip install") and
               c.endswith(f"{stage}/opt/bramka/src[printers,admin]") for c in calls), calls
    # Enabled into the right targets.
    assert enabled(staging, "multi-user.target", "bramka-kiosk.service")
    assert enabled(staging, "multi-user.target", "bramka-admin.service")

    # Again, with no options: the remembered ones, nothing changed, the PIN kept.
    before = snapshot(stage)
    out = staging.run().stderr
    assert snapshot(stage) == before
    assert "staff PIN" not in out

    # Changing the camera and dropping the screen and the admin converges.
    (etc / "kiosk.toml").write_text("[kiosk]\nid = \"mine\"\n", encoding="utf-8")
    log.unlink()
    out = staging.run("--camera", "picamera", "--no-screen", "--no-admin").stderr
    assert (etc / "kiosk.toml").read_text() == "[kiosk]\nid = \"mine\"\n"  # never overwritten
    assert 'source = "picamera"' in out  # ...but the mismatch is pointed out
    assert not (units / "bramka-kiosk.service.d/20-libcamerify.conf").exists()
    assert not (units / "bramka-admin.service").exists()
    assert not staging.calls("raspi-config")  # no screen: the desktop is left alone
    autostart = (stage / "home/alice/.config/labwc/autostart").read_text()
    assert "bramka" not in autostart and autostart.startswith("/usr/bin/lwrespawn")
    assert "kiosk screen: removed from" in out
    assert not (stage / "opt/bramka/constraints.txt").exists()  # trixie: no pins
    calls = staging.calls()
    assert f"python3 -m venv --system-site-packages {stage}/opt/bramka/.venv" in calls
    assert calls[-1] == ("venv-python -m pip install -q --disable-pip-version-check --upgrade "
                         f"{stage}/opt/bramka/src[printers]")
    assert (stage / "var/lib/bramka/admin").is_dir()  # data stays


def test_builds_from_git_archive_and_leaves_the_clone_alone(staging: Staging) -> None:
    clone = staging.clone
    # What a user's clone has lying around: a demo's build, an edit not committed yet.
    (clone / "build").mkdir()
    (clone / "build/leftover.txt").write_text("old build\n")
    (clone / "bramka.egg-info").mkdir()
    (clone / "bramka.egg-info/PKG-INFO").write_text("Name: bramka\n")
    with (clone / "config.toml").open("a") as f:
        f.write("# an edit not committed\n")
    before = tree(clone)
    out = staging.run("--no-screen").stderr
    assert tree(clone) == before  # nothing built, written or refreshed in the clone
    src = staging.stage / "opt/bramka/src"
    assert f"git archive HEAD ({git(clone, 'rev-parse', '--short', 'HEAD').strip()})" in out
    assert "uncommitted changes: not installed" in out
    committed = {k: v for k, v in tree(clone).items()
                 if not k.startswith((".git/", "build/", "bramka.egg-info/"))}
    assert tree(src).keys() == committed.keys()
    assert {k: v for k, v in tree(src).items() if k != "config.toml"} == \
        {k: v for k, v in committed.items() if k != "config.toml"}
    assert (src / "config.toml").read_bytes() == (ROOT / "config.toml").read_bytes()
    assert (staging.stage / "opt/bramka/share/config.toml").read_bytes() == \
        (ROOT / "config.toml").read_bytes()

    # A copy that is not a git checkout (a release tarball) is copied, without builds.
    shutil.rmtree(clone / ".git")
    out = staging.run("--no-screen").stderr
    assert "not a git checkout" in out
    assert not (src / "build").exists() and not (src / "bramka.egg-info").exists()
    assert "an edit not committed" in (src / "config.toml").read_text()


@pytest.mark.parametrize("sudo_user", ["pi", None])
def test_raspi_config_acts_for_the_screen_user(staging: Staging, sudo_user: str | None) -> None:
    """Autologin and the labwc session go to --screen-user, whoever ran sudo."""
    staging.desktop(labwc_session=False)  # a bookworm desktop still on X11 / wayfire
    env = {"SUDO_USER": sudo_user} if sudo_user else {}
    staging.run("--screen-user", "alice", **env)
    assert staging.calls("raspi-config") == [
        "raspi-config SUDO_USER=alice nonint do_wayland W3",
        "raspi-config SUDO_USER=alice nonint do_boot_behaviour B4"]
    # The default screen user is the one who ran sudo.
    if sudo_user:
        staging.log.unlink()
        (staging.stage / "etc/bramka/install.conf").unlink()
        staging.desktop(labwc_session=True)  # now labwc: no switch asked
        staging.run(SUDO_USER="pi")
        assert staging.calls("raspi-config") == [
            "raspi-config SUDO_USER=pi nonint do_boot_behaviour B4"]
        assert (staging.stage / "home/pi/.config/labwc/autostart").exists()


def test_screen_autostart_in_the_users_labwc_session(staging: Staging) -> None:
    staging.desktop()
    staging.run("--screen-user", "alice")
    autostart = staging.stage / "home/alice/.config/labwc/autostart"
    text = autostart.read_text()
    lines = text.splitlines()
    # The system autostart's desktop and panel kept, its screen blanking (swayidle) gone.
    assert lines[:3] == SYSTEM_AUTOSTART.splitlines()[:3]
    assert "swayidle" not in text
    block = lines[lines.index(next(x for x in lines if x.startswith("# >>> bramka"))):]
    assert block[-1] == "# <<< bramka"
    commands = [x for x in block if not x.startswith("#")]
    assert commands == ["systemd-cat -t bramka-screen sh -c 'while :; do "
                        "/opt/bramka/bin/bramka-screen; sleep 3; done' &"]
    assert subprocess.run(["sh", "-n", str(autostart)], check=False).returncode == 0
    # Chromium no longer as a system unit outside the session.
    assert not (staging.stage / "etc/systemd/system/bramka-kiosk-browser.service").exists()

    # The user's own autostart is kept, its blanking removed; the block is written once.
    autostart.write_text("/usr/bin/kanshi &\nswayidle -w timeout 300 'wlopm --off \\*' &\n"
                         + text.split("# >>> bramka")[0].split("\n", 1)[0] + "\n")
    for _ in range(2):
        staging.run()
    again = autostart.read_text()
    assert again.startswith("/usr/bin/kanshi &\n")
    assert "swayidle" not in again
    assert again.count("# >>> bramka") == 1 and again.count("bramka-screen; sleep 3") == 1


def test_upgrade_removes_the_old_browser_unit(staging: Staging) -> None:
    staging.desktop()
    units = staging.stage / "etc/systemd/system"
    (units / "bramka-kiosk-browser.service.d").mkdir(parents=True)
    (units / "bramka-kiosk-browser.service").write_text(
        "[Unit]\nDescription=old\n[Service]\nExecStart=/opt/bramka/bin/bramka-screen\n"
        "[Install]\nWantedBy=graphical.target\n")
    (units / "bramka-kiosk-browser.service.d/10-user.conf").write_text("[Service]\nUser=pi\n")
    out = staging.run("--screen-user", "pi").stderr
    assert "removing bramka-kiosk-browser.service" in out
    assert not (units / "bramka-kiosk-browser.service").exists()
    assert not (units / "bramka-kiosk-browser.service.d").exists()


def test_lite_has_no_screen_and_the_service_is_still_enabled(staging: Staging) -> None:
    """Raspberry Pi OS Lite: no lightdm, no labwc; raspi-config's do_boot_behaviour fails."""
    raspi = staging.stage / "usr/bin/raspi-config"
    raspi.parent.mkdir(parents=True)
    raspi.write_text(FAKE_RASPI_CONFIG)
    raspi.chmod(0o755)
    out = staging.run("--screen-user", "alice", FAKE_RASPI_FAIL="do_boot_behaviour").stderr
    assert "no desktop on this system (Raspberry Pi OS Lite?)" in out
    assert not (staging.stage / "home").exists()
    assert not staging.calls("raspi-config")
    assert enabled(staging, "multi-user.target", "bramka-kiosk.service")
    # The wish for a screen is kept: with a desktop installed later, a re-run adds it.
    assert "screen=yes" in (staging.stage / "etc/bramka/install.conf").read_text()


def test_a_failing_raspi_config_does_not_stop_the_install(staging: Staging) -> None:
    staging.desktop()
    out = staging.run("--screen-user", "alice", FAKE_RASPI_FAIL="do_boot_behaviour").stderr
    assert staging.calls("raspi-config") == [
        "raspi-config SUDO_USER=alice nonint do_boot_behaviour B4"]
    assert "could not turn on the automatic desktop login of alice" in out
    assert enabled(staging, "multi-user.target", "bramka-kiosk.service")
    assert "done." in out


@pytest.mark.parametrize("arch, message", [
    ("armhf", "this is a 32-bit system (armhf)"),
    ("armel", "this is a 32-bit system (armel)"),
    ("i386", "this is a 32-bit system (i386)"),
    ("riscv64", "unsupported architecture 'riscv64'"),
])
def test_architecture_check(staging: Staging, arch: str, message: str) -> None:
    done = staging.run(ok=False, FAKE_ARCH=arch)
    assert done.returncode != 0
    assert message in done.stderr
    if "32-bit" in message:
        assert "no wheels" not in done.stderr  # the wording names the wheels that are missing
        assert "numpy" in done.stderr and "64-bit Raspberry Pi OS" in done.stderr
    assert staging.calls("dpkg") == ["dpkg --print-architecture"]
    assert not staging.calls("python3")  # nothing built, nothing installed
    assert not (staging.stage / "opt").exists()


def test_amd64_is_accepted(staging: Staging) -> None:
    staging.run("--no-screen", FAKE_ARCH="amd64")
    assert staging.calls("python3 -m venv")


@pytest.mark.parametrize("camera", ["device", "picamera"])
def test_pins_per_debian_release(staging: Staging, camera: str) -> None:
    # bookworm (Raspberry Pi OS Legacy): numpy 1 under its python3-picamera2, and the
    # OpenCV line that runs on it, for both cameras (the same OpenCV on the whole fleet).
    staging.os("bookworm")
    out = staging.run("--no-screen", "--camera", camera).stderr
    pins = staging.stage / "opt/bramka/constraints.txt"
    lines = [x for x in pins.read_text().splitlines() if x and not x.startswith("#")]
    assert lines == ["numpy>=1.26,<2", "opencv-python-headless>=4.10,<4.12"]
    assert "Debian bookworm, arm64" in out
    assert staging.calls("venv-python -m pip install")[-1].endswith(
        f"--upgrade -c {pins} {staging.stage}/opt/bramka/src[printers]")
    # trixie (today's Raspberry Pi OS): numpy 2 everywhere, no pins.
    staging.os("trixie")
    staging.run("--no-screen", "--camera", camera)
    assert not pins.exists()
    assert " -c " not in staging.calls("venv-python -m pip install")[-1]
    system_site = f"python3 -m venv --system-site-packages {staging.stage}/opt/bramka/.venv"
    assert (system_site in staging.calls()) == (camera == "picamera")


def test_old_debian_is_refused(staging: Staging) -> None:
    staging.os("bullseye")
    done = staging.run(ok=False)
    assert done.returncode != 0 and "Debian bullseye is too old" in done.stderr


def test_install_script_refuses_bad_options(staging: Staging) -> None:
    for args in (["--camera", "webcam"], ["--frobnicate"]):
        done = staging.run(*args, ok=False)
        assert done.returncode != 0 and "install-pi.sh:" in done.stderr, args
    assert not (staging.stage / "opt").exists()


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
