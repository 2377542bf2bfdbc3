#!/usr/bin/env bash
# Install (or update) Bramka as a kiosk on 64-bit Raspberry Pi OS: trixie (Debian 13, what
# Raspberry Pi Imager offers today) or bookworm (Debian 12, "Legacy"); plain Debian 12/13
# on arm64 or amd64 works too. Safe to run again: after `git pull` it updates the code and
# the screen's autostart, and it never overwrites /etc/bramka/kiosk.toml or the PIN.
# See docs/raspberry-pi.md.
#
#   sudo deploy/install-pi.sh [options]
#     --camera device|picamera|libcamerify
#                          device       a USB webcam through OpenCV (the default)
#                          picamera     the Pi camera module through picamera2 (the way
#                                       for camera modules, Camera Module 3 autofocus too)
#                          libcamerify  EXPERIMENTAL: the camera module through libcamera's
#                                       V4L2 compatibility layer under OpenCV (a stopgap:
#                                       use picamera)
#     --screen-user USER   the desktop user whose session shows the kiosk screen (default:
#                          the user that ran sudo, else the user with uid 1000)
#     --no-screen          no screen on this machine (a kiosk without a display); also
#                          what happens on Raspberry Pi OS Lite (no desktop)
#     --admin              also install the admin service (the organizers' machine)
#     --no-enable          install only: do not enable or (re)start services
#
# Options given once are remembered in /etc/bramka/install.conf for the next run.
# BRAMKA_ROOT=DIR installs into a staging root instead of / (tests, packaging): no
# packages, users, udev or running services are touched then; raspi-config is run only
# if the staging root has its own (DIR/usr/bin/raspi-config: the tests' recorder).
set -euo pipefail

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT="${BRAMKA_ROOT:-}"
ROOT="${ROOT%/}"
OPT="$ROOT/opt/bramka"
VENV="$OPT/.venv"
ETC="$ROOT/etc/bramka"
STATE="$ROOT/var/lib/bramka"
UNITS="$ROOT/etc/systemd/system"
RULES="$ROOT/etc/udev/rules.d"
SERVICE_USER=bramka

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'install-pi.sh: %s\n' "$*" >&2; exit 1; }

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

# -- options (remembered choices first, then the command line) ------------------------------

camera=device
screen=yes
screen_user=""
admin=no
enable=yes
if [ -f "$ETC/install.conf" ]; then
  # shellcheck source=/dev/null
  . "$ETC/install.conf"
fi

while [ $# -gt 0 ]; do
  case "$1" in
    --camera) [ $# -ge 2 ] || die "--camera needs a value"; camera="$2"; shift 2 ;;
    --camera=*) camera="${1#*=}"; shift ;;
    --screen-user) [ $# -ge 2 ] || die "--screen-user needs a value"; screen_user="$2"; shift 2 ;;
    --screen-user=*) screen_user="${1#*=}"; shift ;;
    --no-screen) screen=no; shift ;;
    --screen) screen=yes; shift ;;
    --admin) admin=yes; shift ;;
    --no-admin) admin=no; shift ;;
    --no-enable) enable=no; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done
case "$camera" in
  device|libcamerify|picamera) ;;
  *) die "--camera must be device, libcamerify or picamera, not '$camera'" ;;
esac

if [ -z "$ROOT" ] && [ "$(id -u)" -ne 0 ]; then
  die "run as root: sudo $0"
fi

# -- this machine: architecture, Debian release, desktop -------------------------------------

arch="$(dpkg --print-architecture 2>/dev/null || true)"
case "$arch" in
  arm64|amd64) ;;
  armhf|armel|i386)
    die "this is a 32-bit system ($arch). PyPI has no $arch wheels of numpy," \
      "opencv-python-headless, zxing-cpp or Pillow, and compiling them on a Pi takes hours." \
      "Install the 64-bit Raspberry Pi OS (Raspberry Pi Imager: \"Raspberry Pi OS (64-bit)\"," \
      "for a Pi 3, 4, 5 or Zero 2 W) and run this script again" ;;
  "") die "cannot tell the architecture (dpkg --print-architecture failed): is this Debian?" ;;
  *) die "unsupported architecture '$arch': the kiosk needs arm64 (64-bit Raspberry Pi OS) or amd64" ;;
esac

os_release="$ROOT/etc/os-release"
[ -r "$os_release" ] || os_release=/etc/os-release
codename="$(sed -n 's/^VERSION_CODENAME=//p' "$os_release" 2>/dev/null | tr -d '"' || true)"
case "$codename" in
  bookworm) release=bookworm ;;                 # Raspberry Pi OS "Legacy", numpy 1.x
  trixie) release=trixie ;;                     # Raspberry Pi OS today, numpy 2
  forky|sid) release=trixie; log "NOTE: Debian $codename: installing as on trixie" ;;
  bullseye|buster|stretch)
    die "Debian $codename is too old (Python 3.11 or later is needed): install Raspberry Pi OS" \
      "trixie (or bookworm, \"Legacy\")" ;;
  *) release=trixie; log "NOTE: unknown Debian release '${codename:-?}': installing as on trixie" ;;
esac

# Raspberry Pi OS with desktop has lightdm and labwc; Lite has neither.
desktop=no
if [ -e "$ROOT/usr/sbin/lightdm" ] || [ -e "$ROOT/usr/bin/labwc" ]; then desktop=yes; fi
show_screen="$screen"
if [ "$screen" = yes ] && [ "$desktop" = no ]; then
  log "NOTE: no desktop on this system (Raspberry Pi OS Lite?): installing the kiosk without" \
    "its screen. For the screen, use Raspberry Pi OS with desktop and run this script again;" \
    "--no-screen says that this machine has none."
  show_screen=no
fi

if [ "$show_screen" = yes ] && [ -z "$screen_user" ]; then
  if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
    screen_user="$SUDO_USER"
  else
    screen_user="$(getent passwd 1000 | cut -d: -f1 || true)"
  fi
  [ -n "$screen_user" ] || die "no desktop user found: give --screen-user USER or --no-screen"
fi
screen_home=""
if [ "$show_screen" = yes ]; then
  if [ -n "$ROOT" ]; then
    screen_home="$ROOT/home/$screen_user"
  else
    screen_home="$(getent passwd "$screen_user" | cut -d: -f6 || true)"
    [ -n "$screen_home" ] || die "--screen-user $screen_user: no such user"
  fi
fi

# -- Debian packages ---------------------------------------------------------------------------

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
available() { apt-cache show --no-all-versions "$1" 2>/dev/null | grep -q '^Package:'; }

# libusb-1.0-0: USB printers (pyusb). Nothing is compiled: no python3-dev.
# libzbar0 became libzbar0t64 in trixie (the 64-bit time_t transition).
zbar=libzbar0
if [ "$release" = trixie ]; then zbar=libzbar0t64; fi
# fonts-dejavu-extra: DejaVu Sans Condensed for badge templates.
packages=(python3 python3-venv "$zbar" libusb-1.0-0 fonts-dejavu-core fonts-dejavu-extra v4l-utils
          usbutils)
if [ -e "$SRC/.git" ]; then packages+=(git); fi  # git archive of a clone
if [ "$camera" = picamera ]; then packages+=(python3-picamera2); fi
if [ "$camera" = libcamerify ]; then packages+=(libcamera-v4l2); fi
if [ "$show_screen" = yes ]; then packages+=(labwc); fi

install_packages() {
  local missing=() pkg updated=no
  for pkg in "$@"; do
    installed "$pkg" || missing+=("$pkg")
  done
  # Chromium is "chromium" on Debian and current Raspberry Pi OS, "chromium-browser" on
  # older Raspberry Pi OS images: whichever is installed, else whichever apt offers.
  if [ "$show_screen" = yes ] && ! installed chromium && ! installed chromium-browser; then
    apt-get update -qq
    updated=yes
    if available chromium; then missing+=(chromium); else missing+=(chromium-browser); fi
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    if [ "$updated" = no ]; then apt-get update -qq; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

if [ -z "$ROOT" ]; then
  install_packages "${packages[@]}"
fi

# -- the service user and its folders ---------------------------------------------------------

if [ -z "$ROOT" ]; then
  if ! getent passwd "$SERVICE_USER" >/dev/null; then
    log "creating the system user $SERVICE_USER"
    useradd --system --user-group --home-dir /var/lib/bramka --no-create-home \
      --shell /usr/sbin/nologin --comment "Bramka check-in" "$SERVICE_USER"
  fi
  # video: cameras; lp: USB printers (see 60-bramka-printer.rules).
  usermod -a -G video,lp "$SERVICE_USER"
fi

# install -d with an owner only on a real install (a staging root has no such user).
make_dir() {  # MODE OWNER:GROUP DIR
  if [ -z "$ROOT" ]; then
    install -d -m "$1" -o "${2%%:*}" -g "${2##*:}" "$3"
  else
    install -d -m "$1" "$3"
  fi
}
put_file() {  # MODE OWNER:GROUP SOURCE DEST
  if [ -z "$ROOT" ]; then
    install -m "$1" -o "${2%%:*}" -g "${2##*:}" "$3" "$4"
  else
    install -m "$1" "$3" "$4"
  fi
}

make_dir 0755 root:root "$OPT"
make_dir 0755 root:root "$OPT/bin"
make_dir 0755 root:root "$OPT/share/doc"
make_dir 0750 root:"$SERVICE_USER" "$ETC"
make_dir 0750 "$SERVICE_USER:$SERVICE_USER" "$STATE"
make_dir 0750 "$SERVICE_USER:$SERVICE_USER" "$STATE/kiosk"
if [ "$admin" = yes ]; then make_dir 0750 "$SERVICE_USER:$SERVICE_USER" "$STATE/admin"; fi

# -- the code: a virtual environment in /opt/bramka ---------------------------------------

extras="printers"
if [ "$admin" = yes ]; then extras="printers,admin"; fi

# A clean copy of the code to build from, root's own: never a build in the user's clone
# (root-owned build/ and *.egg-info there break the next `./run demo` as that user).
BUILD="$OPT/src"
rm -rf "$BUILD"
make_dir 0755 root:root "$BUILD"
git_src() { git -c safe.directory="$SRC" -C "$SRC" "$@"; }
if command -v git >/dev/null && git_src rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  log "building from git archive HEAD ($(git_src rev-parse --short HEAD)) of $SRC"
  git_src archive --format=tar HEAD | tar -x -C "$BUILD"
  if [ -n "$(git_src --no-optional-locks status --porcelain --untracked-files=no)" ]; then
    log "NOTE: $SRC has uncommitted changes: not installed (commit them, then run this again)"
  fi
else
  log "building from a copy of $SRC (not a git checkout)"
  tar -C "$SRC" --exclude=./.git --exclude=./.venv --exclude=./build --exclude='*.egg-info' \
    --exclude=./var -cf - . | tar -x -C "$BUILD"
fi

# Pins chosen per Debian release, only where the release needs them. picamera2 comes from
# the OS (the venv sees the system's packages), so numpy must be the OS's generation:
#   bookworm: python3-picamera2 and its simplejpeg are built for numpy 1.x, so numpy<2;
#             OpenCV from 4.12 on needs numpy 2, so OpenCV is held at the last line that
#             runs on numpy 1, for every kiosk on bookworm: USB webcam and camera module
#             kiosks run the same OpenCV.
#   trixie:   numpy 2 in the OS and on PyPI, no pins.
venv_args=()
constraints=()
if [ "$camera" = picamera ]; then venv_args+=(--system-site-packages); fi
if [ "$release" = bookworm ]; then
  cat > "$OPT/constraints.txt" <<'PINS'
# Written by deploy/install-pi.sh on Debian 12 bookworm (Raspberry Pi OS "Legacy"):
# its python3-picamera2 is built for numpy 1.x; OpenCV 4.12 and later need numpy 2.
numpy>=1.26,<2
opencv-python-headless>=4.10,<4.12
PINS
  constraints=(-c "$OPT/constraints.txt")
else
  rm -f "$OPT/constraints.txt"
fi
log "installing Bramka into $VENV ($extras; Debian $release, $arch)"
# Rewrites pyvenv.cfg (system site packages on or off), keeps what is installed.
python3 -m venv "${venv_args[@]}" "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade \
  "${constraints[@]}" "${BUILD}[${extras}]"

put_file 0755 root:root "$BUILD/deploy/bin/bramka-screen" "$OPT/bin/bramka-screen"
# `bramka ...` for people: as user bramka, with the services' settings and secrets.
make_dir 0755 root:root "$ROOT/usr/local/bin"
put_file 0755 root:root "$BUILD/deploy/bin/bramka" "$ROOT/usr/local/bin/bramka"
put_file 0644 root:root "$BUILD/config.toml" "$OPT/share/config.toml"
put_file 0644 root:root "$BUILD/docs/raspberry-pi.md" "$OPT/share/doc/raspberry-pi.md"

# -- settings: copied once, never overwritten ------------------------------------------------

random_digits() { od -An -N4 -tu4 /dev/urandom | tr -d ' \n'; }

new_pin=""
if [ ! -e "$ETC/kiosk.toml" ]; then
  log "writing $ETC/kiosk.toml"
  put_file 0640 root:"$SERVICE_USER" "$BUILD/deploy/kiosk.toml" "$ETC/kiosk.toml"
  if [ "$camera" = picamera ]; then
    sed -i 's/^source = "device"$/source = "picamera"/' "$ETC/kiosk.toml"
  fi
fi
want_source=device
if [ "$camera" = picamera ]; then want_source=picamera; fi
if ! grep -q "^source = \"$want_source\"" "$ETC/kiosk.toml"; then
  log "NOTE: --camera $camera needs [camera] source = \"$want_source\" in $ETC/kiosk.toml" \
    "(the file is yours: this script does not change it)"
fi
if [ ! -e "$ETC/kiosk.env" ]; then
  new_pin="$(printf '%06d' $(( $(random_digits) % 1000000 )))"
  log "writing $ETC/kiosk.env with a new staff PIN"
  umask 077
  printf '# Secrets of the kiosk service (bramka-kiosk.service).\nBRAMKA_KIOSK__STAFF_PIN=%s\n' \
    "$new_pin" > "$ETC/kiosk.env"
  umask 022
  if [ -z "$ROOT" ]; then chown root:"$SERVICE_USER" "$ETC/kiosk.env"; fi
  chmod 0640 "$ETC/kiosk.env"
fi
if [ "$admin" = yes ]; then
  if [ ! -e "$ETC/admin.toml" ]; then
    log "writing $ETC/admin.toml"
    put_file 0640 root:"$SERVICE_USER" "$BUILD/deploy/admin.toml" "$ETC/admin.toml"
  fi
  if [ ! -e "$ETC/admin.env" ]; then
    log "writing $ETC/admin.env with a new session key"
    umask 077
    printf '# Secrets of the admin service (bramka-admin.service).\nBRAMKA_ADMIN__SECRET_KEY=%s\n# BRAMKA_ADMIN__SMTP_PASSWORD=\n' \
      "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" > "$ETC/admin.env"
    umask 022
    if [ -z "$ROOT" ]; then chown root:"$SERVICE_USER" "$ETC/admin.env"; fi
    chmod 0640 "$ETC/admin.env"
  fi
fi

# -- systemd units and the udev rule --------------------------------------------------------

make_dir 0755 root:root "$UNITS"
put_file 0644 root:root "$BUILD/deploy/systemd/bramka-kiosk.service" "$UNITS/bramka-kiosk.service"
kiosk_dropins="$UNITS/bramka-kiosk.service.d"
if [ "$camera" = libcamerify ]; then
  make_dir 0755 root:root "$kiosk_dropins"
  cat > "$kiosk_dropins/20-libcamerify.conf" <<'CONF'
# Written by install-pi.sh --camera libcamerify (EXPERIMENTAL: --camera picamera is the way
# for camera modules): the Pi camera module through libcamera's
# V4L2 compatibility layer, so that OpenCV's [camera] source = "device" can open it.
[Service]
ExecStart=
ExecStart=/usr/bin/libcamerify /opt/bramka/.venv/bin/bramka kiosk --config /etc/bramka/kiosk.toml serve
CONF
else
  rm -f "$kiosk_dropins/20-libcamerify.conf"
fi

# The screen: Chromium started by the screen user's own labwc session (its autostart), so
# that it has the session's Wayland display, GPU and PipeWire sound, the way Raspberry Pi
# OS kiosks run. Screen blanking off for that user's session: under labwc, raspi-config's
# blanking is a swayidle line in the same file, whatever desktop runs at install time.
AUTOSTART_BEGIN="# >>> bramka: the kiosk screen (written by deploy/install-pi.sh; delete this block to stop it)"
AUTOSTART_END="# <<< bramka"
write_screen_autostart() {  # USER HOME
  local dir="$2/.config/labwc" file="$2/.config/labwc/autostart" fresh=no
  if [ ! -e "$file" ]; then
    fresh=yes
    mkdir -p "$dir"
    # labwc runs the first autostart it finds: the user's one replaces the system one, so
    # a new one starts as a copy of the system's (the panel, the desktop).
    if [ -r "$ROOT/etc/xdg/labwc/autostart" ]; then
      cp "$ROOT/etc/xdg/labwc/autostart" "$file"
    else
      : > "$file"
    fi
  fi
  sed -i -e '/swayidle/d' -e "\\|^${AUTOSTART_BEGIN%% (*}|,\\|^$AUTOSTART_END\$|d" "$file"
  cat >> "$file" <<BLOCK
$AUTOSTART_BEGIN
# No screen blanking (idle timer lines removed); Chromium full-screen on the kiosk page,
# started again if it ends; its messages: journalctl -t bramka-screen
systemd-cat -t bramka-screen sh -c 'while :; do /opt/bramka/bin/bramka-screen; sleep 3; done' &
$AUTOSTART_END
BLOCK
  if [ -z "$ROOT" ]; then
    chown "$1:" "$file"
    if [ "$fresh" = yes ]; then chown "$1:" "$dir" "$2/.config"; fi
  fi
  log "kiosk screen: in $file (user $1's labwc session)"
}
if [ "$show_screen" = yes ]; then
  write_screen_autostart "$screen_user" "$screen_home"
elif [ -n "$screen_user" ]; then
  # The screen switched off (--no-screen): the remembered screen user's block goes.
  if [ -n "$ROOT" ]; then
    old_autostart="$ROOT/home/$screen_user/.config/labwc/autostart"
  else
    old_autostart="$(getent passwd "$screen_user" | cut -d: -f6 || true)/.config/labwc/autostart"
  fi
  if grep -qs "^${AUTOSTART_BEGIN%% (*}" "$old_autostart"; then
    sed -i -e "\\|^${AUTOSTART_BEGIN%% (*}|,\\|^$AUTOSTART_END\$|d" "$old_autostart"
    log "kiosk screen: removed from $old_autostart"
  fi
fi

if [ "$admin" = yes ]; then
  put_file 0644 root:root "$BUILD/deploy/systemd/bramka-admin.service" "$UNITS/bramka-admin.service"
fi

make_dir 0755 root:root "$RULES"
put_file 0644 root:root "$BUILD/deploy/udev/60-bramka-printer.rules" "$RULES/60-bramka-printer.rules"

# Remember the choices for the next run.
cat > "$ETC/install.conf" <<CONF
# deploy/install-pi.sh remembers its options here; the command line wins.
camera=$camera
screen=$screen
screen_user=$screen_user
admin=$admin
CONF

# -- apply -----------------------------------------------------------------------------------

services=(bramka-kiosk.service)
if [ "$admin" = yes ]; then services+=(bramka-admin.service); fi

# A part switched off (--no-admin): its service goes; its data stays. The system unit
# that ran Chromium outside the desktop session (before the labwc autostart) goes too.
remove_unit() {
  local unit="$1"
  [ -e "$UNITS/$unit" ] || return 0
  log "removing $unit"
  if [ -n "$ROOT" ]; then
    systemctl --root="$ROOT" disable "$unit" || true
  else
    systemctl disable --now "$unit" || true
  fi
  rm -rf "${UNITS:?}/$unit" "${UNITS:?}/$unit.d"
}
remove_unit bramka-kiosk-browser.service
if [ "$admin" = no ]; then remove_unit bramka-admin.service; fi

# Raspberry Pi OS: the labwc desktop, logged in automatically as the screen user.
# raspi-config acts on the account named by SUDO_USER, so it is the screen user's, not
# that of whoever ran sudo. A failure is reported, never the end of the install.
raspi_config=""
if [ -n "$ROOT" ]; then
  if [ -x "$ROOT/usr/bin/raspi-config" ]; then raspi_config="$ROOT/usr/bin/raspi-config"; fi
else
  raspi_config="$(command -v raspi-config || true)"
fi
if [ "$show_screen" = yes ] && [ -n "$raspi_config" ]; then
  log "Raspberry Pi OS: labwc desktop with automatic login as $screen_user"
  if [ -e "$ROOT/etc/lightdm/lightdm.conf" ] \
      && ! grep -qs '^\(user\|autologin\)-session=.*labwc' "$ROOT/etc/lightdm/lightdm.conf"; then
    SUDO_USER="$screen_user" "$raspi_config" nonint do_wayland W3 \
      || log "NOTE: raspi-config could not switch the desktop to labwc: do it in" \
        "sudo raspi-config, Advanced Options, Wayland, labwc"
  fi
  SUDO_USER="$screen_user" "$raspi_config" nonint do_boot_behaviour B4 \
    || log "NOTE: raspi-config could not turn on the automatic desktop login of" \
      "$screen_user: do it in sudo raspi-config, System Options, Boot / Auto Login"
fi

if [ -n "$ROOT" ]; then
  if [ "$enable" = yes ]; then systemctl --root="$ROOT" enable "${services[@]}"; fi
else
  udevadm control --reload-rules || true
  udevadm trigger --subsystem-match=usb --action=change || true
  booted=no
  if [ -d /run/systemd/system ]; then booted=yes; systemctl daemon-reload; fi
  if [ "$enable" = yes ]; then
    systemctl enable "${services[@]}"
    if [ "$booted" = yes ]; then
      systemctl restart "${services[@]}"
    else
      log "NOTE: systemd is not running here (a chroot?): enabled, starts at the next boot"
    fi
  fi
fi

log "done."
if [ -n "$new_pin" ]; then
  log "staff PIN for the kiosk screen: $new_pin (in $ETC/kiosk.env)"
fi
if [ "$show_screen" = yes ]; then
  log "the screen starts with $screen_user's desktop session: reboot to see it."
fi
log "next: edit $ETC/kiosk.toml, then enroll the kiosk (docs/raspberry-pi.md)."
